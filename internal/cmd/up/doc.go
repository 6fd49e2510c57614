// Package up implements 'swarmlab up': create the lab, or repair it.
package up
