// Package chaos implements 'swarmlab chaos [NODE]': stop a node and watch
// the swarm heal, live, while a request loop through the ingress counts
// what users would have seen. 'swarmlab node stop NODE --watch' is the same
// watch, and calls Watch.
package chaos
