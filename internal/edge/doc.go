// Package edge forwards TCP from the host's published ports to the lab's
// managers. A lab with several managers publishes its ports on this small
// container instead of on one manager, so that stopping any manager, the
// leader included, leaves the ingress and the visualizer reachable.
package edge
