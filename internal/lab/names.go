package lab

import "net/netip"

// Labels on every lab object; the engine is the inventory.
const (
	LabelLab  = "io.swarmlab.lab"  // the lab's name
	LabelRole = "io.swarmlab.role" // registry, manager or worker
	LabelNode = "io.swarmlab.node" // the node's name, as its hostname
)

// Roles of lab containers.
const (
	RoleRegistry = "registry"
	RoleManager  = "manager"
	RoleWorker   = "worker"
	// RoleEdge forwards the host ports to the managers in labs with more
	// than one, so that any manager can stop.
	RoleEdge = "edge"
)

// Node is one planned lab container.
type Node struct {
	Name string // hostname and swarm node name: manager, worker01, ...
	Role string
	// Index among nodes of its role, from 0; it fixes the node's IP.
	Index int
}

// Host addresses inside the lab's /24: fixed, so a restarted lab keeps them.
const (
	hostRegistry    = 2
	hostEdge        = 3
	hostManagerBase = 10
	hostWorkerBase  = 20
)

// NodeIP is the static address of a node (or the registry) in subnet.
func NodeIP(subnet netip.Prefix, n Node) netip.Addr {
	host := hostRegistry
	switch n.Role {
	case RoleEdge:
		host = hostEdge
	case RoleManager:
		host = hostManagerBase + n.Index
	case RoleWorker:
		host = hostWorkerBase + n.Index
	}
	a := subnet.Masked().Addr().As4()
	a[3] += byte(host)
	return netip.AddrFrom4(a)
}
