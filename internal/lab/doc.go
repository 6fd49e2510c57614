// Package lab builds, inspects and tears down a swarmlab: a registry
// container and Docker-in-Docker node containers on one bridge network,
// joined into a Docker Swarm. The host engine is the source of truth: lab
// objects are found by their labels, never through a state file.
//
// A Lab is one lab (its Config) on one engine. What the engine says of a lab
// that exists, where it answers on the host, is its Endpoints, never written
// over the Config. Making a lab (package up), failure scenarios (package
// chaos) and the checks of a lab (package checks: verify, doctor) live on
// top of this package's exported API.
//
// Files: Config, its derived names and the hints that name a command are
// in config.go; names.go holds the labels, roles and node addresses;
// endpoints.go the host ports as published and who holds them; handout.go
// the hands-on lab's images and folders; swarmspec.go the swarm's
// heartbeat as the swarm records it. Every wait is written once, in
// wait.go, and follow.go follows a swarm until it settles. The images:
// images.go (the swarmlab images and their binary) and nodeimage.go (the
// node image, and the trial containers that learn what the engine grants).
// ipvs.go asks the kernel whether it has IPVS. The other commands' work has
// a file each: lab.go (the inventory, the managers and docker in a node),
// lifecycle.go (down, stop, start, node stop/start/kill), status.go and
// stacks.go.
package lab
