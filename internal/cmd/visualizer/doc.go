// Package visualizer is the "swarmlab visualizer" command: it serves the
// live page of the swarm from inside the lab's manager, where it runs as a
// global service with the Docker socket mounted. The work is done by
// package internal/visualizer; this command only reads the environment and
// flags and wires the pieces together.
package visualizer
