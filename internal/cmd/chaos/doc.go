// Package chaos implements 'swarmlab chaos': one failure as real swarms
// see them (a node stopped, killed or drained, a rolling update, the Raft
// Leader lost), followed live until the swarm has converged, while a
// request loop through the ingress measures what users would have seen.
// The work is lab.Chaos; 'swarmlab node stop NODE --watch' is the stop
// scenario, through Watch.
package chaos
