// Package lab builds, inspects and tears down a swarmlab: a registry
// container and Docker-in-Docker node containers on one bridge network,
// joined into a Docker Swarm. The host engine is the source of truth: lab
// objects are found by their labels, never through a state file.
//
// A Lab is one lab (its Config) on one engine. Up is an ordered list of
// named steps sharing an upContext (up.go), written by phase: the
// containers (up_nodes.go), the swarm (up_swarm.go) and what is deployed on
// it (up_deploy.go); a hands-on lab stops after the nodes (up_handson.go).
// checkpoint.go offers up's steps one by one, for 'tutorial goto'. Every
// wait is written once, in wait.go; Config and its derived names and ports
// are in config.go. The other commands' work has a file each: lifecycle.go
// (down, stop, start, node stop/start/kill), status.go, verify.go,
// doctor.go, images.go and stacks.go. chaos has four: chaos.go (the
// scenarios), timeline.go (reads of the swarm turned into events), loop.go
// (the request loop and its phases) and failover.go (the report, and
// Rebalance).
package lab
