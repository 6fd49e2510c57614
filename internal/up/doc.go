// Package up creates a lab, or repairs what is missing of it: an ordered
// list of named steps, one status line each, sharing one upContext (as
// kind's create shares its ActionContext). It works on a *lab.Lab through
// package lab's exported API, so that the lab's objects and lifecycle
// change for their own reasons and the way a lab is made for its own.
//
// Files: Run is the list of steps and their context (up.go), written by
// phase: the containers (up_nodes.go, with the stack folder's path checks
// in paths.go and the node image from a class server in classimage.go),
// the swarm (up_swarm.go, with the heartbeat it chooses in heartbeat.go)
// and what is deployed on it (up_deploy.go); a hands-on lab stops after the
// nodes (up_handson.go). checkpoint.go offers the steps one by one, for
// 'tutorial goto'.
package up
