// Package registry implements `swarmlab registry`, the lab's image registry
// run in a FROM-scratch image on the host's engine. The work is done by
// internal/registry; this only reads the environment and flags.
package registry
