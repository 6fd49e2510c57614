// Command swarmlab builds a Docker Swarm study lab in one command.
package main
