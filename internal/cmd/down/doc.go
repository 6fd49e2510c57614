// Package down implements 'swarmlab down': remove the lab.
package down
