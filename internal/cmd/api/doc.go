// Package api implements `swarmlab api`, the tutorial's demo service run in
// the swtest/api image. The work is done by internal/api; this only reads
// the environment and flags.
package api
