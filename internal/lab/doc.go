// Package lab builds, inspects and tears down a swarmlab: a registry
// container and Docker-in-Docker node containers on one bridge network,
// joined into a Docker Swarm. The host engine is the source of truth: lab
// objects are found by their labels, never through a state file.
//
// A Lab is one lab (its Config) on one engine. What the engine says of a lab
// that exists, where it answers on the host, is its Endpoints, never written
// over the Config. Failure scenarios (package chaos) and the checks of a lab
// (package checks: verify, doctor) live on top of this package's exported
// API.
//
// Files: Up is an ordered list of named steps sharing an upContext (up.go),
// written by phase: the containers (up_nodes.go), the swarm (up_swarm.go,
// with its heartbeat in heartbeat.go)
// and what is deployed on it (up_deploy.go); a hands-on lab stops after the
// nodes (up_handson.go). checkpoint.go offers up's steps one by one, for
// 'tutorial goto'. Config, its derived names and the hints that name a
// command are in config.go; names.go holds the labels, roles and node
// addresses; endpoints.go the host ports as published; paths.go the checks
// of the stack folder's path. Every wait is written once, in wait.go, and
// follow.go follows a swarm until it settles. The images: images.go (the
// swarmlab images and their binary) and nodeimage.go (the node image), classimage.go (the node image from a
// class server, for a learner who joined one).
// ipvs.go asks the kernel whether it has IPVS. The other commands' work has
// a file each: lab.go (the inventory and the managers), lifecycle.go (down,
// stop, start, node stop/start/kill), status.go and stacks.go.
package lab
