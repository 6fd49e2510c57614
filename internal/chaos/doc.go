// Package chaos does to a running lab what goes wrong in a real cluster (a
// node stopped, killed or drained, the Raft Leader lost, a rolling update)
// while a request loop runs through the ingress, and reports what swarm did
// about it as a timeline and a Failover. It reaches the lab only through
// package lab's exported API, so that the lab's objects and lifecycle change
// for their own reasons and failure scenarios for theirs.
//
// Files: chaos.go (the scenarios and Run), timeline.go (reads of the swarm
// turned into events), loop.go (the request loop and its phases) and
// failover.go (the report, and Rebalance).
package chaos
