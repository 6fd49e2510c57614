package lab

import (
	"fmt"
	"hash/fnv"
	"net/netip"
)

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

// FrontNode is the container that publishes the ingress, visualizer and
// stats ports: the manager, as in the tutorial, or the edge forwarder when
// there are several managers.
func (c Config) FrontNode() string {
	if c.Managers > 1 {
		return RoleEdge
	}
	return "manager"
}

// Node is one planned lab container.
type Node struct {
	Name string // hostname and swarm node name: manager, worker01, ...
	Role string
	// Index among nodes of its role, from 0; it fixes the node's IP.
	Index int
}

// ContainerName is the node's container name on the host engine.
func (c Config) ContainerName(node string) string {
	if c.Name == DefaultName {
		return node
	}
	return c.Name + "-" + node
}

// NetworkName is the lab's bridge network.
func (c Config) NetworkName() string { return c.Name }

// VolumeName holds a node's /var/lib/docker so that stop/start keeps the swarm.
func (c Config) VolumeName(node string) string { return c.Name + "-" + node }

// RegistryVolume holds the registry's data; down keeps it unless purged.
func (c Config) RegistryVolume() string { return c.Name + "-registry-data" }

// Nodes lists the planned nodes, managers first. The first manager is named
// "manager" as in the tutorial; more managers are manager02, manager03, ...
func (c Config) Nodes() []Node {
	var nodes []Node
	for i := 0; i < c.Managers; i++ {
		name := "manager"
		if i > 0 {
			name = fmt.Sprintf("manager%02d", i+1)
		}
		nodes = append(nodes, Node{Name: name, Role: RoleManager, Index: i})
	}
	for i := 0; i < c.Workers; i++ {
		nodes = append(nodes, Node{Name: fmt.Sprintf("worker%02d", i+1), Role: RoleWorker, Index: i})
	}
	return nodes
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

// candidateSubnets lists the /24s tried for a lab without a configured
// subnet, starting at one derived from its name so that two labs rarely
// try the same one first.
func (c Config) candidateSubnets() []netip.Prefix {
	if c.Subnet != "" {
		return []netip.Prefix{netip.MustParsePrefix(c.Subnet)}
	}
	start := 0
	if c.Name != DefaultName {
		h := fnv.New32a()
		h.Write([]byte(c.Name))
		start = int(h.Sum32() % 200)
	}
	var out []netip.Prefix
	for i := 0; i < 16; i++ {
		third := byte((start + i*13) % 250)
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 28, third, 0}), 24))
	}
	return out
}

// HostPort is one port a lab publishes on the host.
type HostPort struct {
	Port int    // on the host; 0 when not published
	Node string // the container that publishes it
	What string // what it serves, for messages
	Key  string // its name under ports: in the config file, and in --KEY-port
}

// HostPorts lists the ports the lab publishes, in the order messages give them.
func (c Config) HostPorts() []HostPort {
	front := c.FrontNode()
	return []HostPort{
		{c.Ports.Registry, RoleRegistry, "registry", "registry"},
		{c.Ports.Ingress, front, "ingress", "ingress"},
		{c.Ports.Visualizer, front, "visualizer", "visualizer"},
		{c.Ports.Stats, front, "ingress stats", "stats"},
	}
}
