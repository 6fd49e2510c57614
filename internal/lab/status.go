package lab

import (
	"context"
	"sort"

	"github.com/docker/docker/api/types/swarm"
)

// NodeStatus is one node as the lab reports it: its container on the host
// engine and, when a manager answers, its state in the swarm.
type NodeStatus struct {
	Name         string `json:"name"`
	Role         string `json:"role"`
	Container    string `json:"container"` // container state: running, exited, ...
	IP           string `json:"ip"`
	State        string `json:"state"`        // swarm: ready, down, unknown
	Availability string `json:"availability"` // swarm: active, pause, drain
	Leader       bool   `json:"leader"`
	Engine       string `json:"engine"`
}

// Status is the whole lab, as ReadStatus finds it.
type Status struct {
	Name     string         `json:"name"`
	Nodes    []NodeStatus   `json:"nodes"`
	Registry string         `json:"registry"` // container state
	Services []ServiceState `json:"services"`
	Manager  string         `json:"manager,omitempty"` // the manager that answered
	// Endpoints are where the lab answers on the host, as its containers publish them.
	Endpoints Endpoints `json:"endpoints"`
	SwarmErr  string    `json:"swarmError,omitempty"`
	// Heartbeat is the swarm's dispatcher heartbeat and why it was chosen.
	Heartbeat *HeartbeatChoice `json:"heartbeat,omitempty"`
}

// ReadStatus gathers the lab's state from the host engine and a manager.
func (l *Lab) ReadStatus(ctx context.Context) (Status, error) {
	st := Status{Name: l.Config.Name}
	inv, err := l.Inventory(ctx)
	if err != nil {
		return st, err
	}
	if inv.Empty() {
		return st, l.NoLabError()
	}
	if st.Endpoints, err = l.EndpointsOf(ctx, inv); err != nil {
		return st, err
	}
	byName := map[string]*NodeStatus{}
	for name, c := range inv.Containers {
		if c.Labels[LabelRole] == RoleRegistry {
			st.Registry = c.State
			continue
		}
		if c.Labels[LabelRole] == RoleEdge {
			continue
		}
		ns := NodeStatus{Name: name, Role: c.Labels[LabelRole], Container: c.State, State: "unknown"}
		if c.NetworkSettings != nil {
			if ep := c.NetworkSettings.Networks[l.Config.NetworkName()]; ep != nil {
				ns.IP = ep.IPAddress
				if ns.IP == "" && ep.IPAMConfig != nil {
					ns.IP = ep.IPAMConfig.IPv4Address
				}
			}
		}
		st.Nodes = append(st.Nodes, ns)
	}
	sort.Slice(st.Nodes, func(i, j int) bool {
		if st.Nodes[i].Role != st.Nodes[j].Role {
			return st.Nodes[i].Role == RoleManager
		}
		return st.Nodes[i].Name < st.Nodes[j].Name
	})
	for i := range st.Nodes {
		byName[st.Nodes[i].Name] = &st.Nodes[i]
	}
	mgr, name, err := l.ManagerFrom(ctx, inv)
	if err != nil {
		st.SwarmErr = err.Error()
		return st, nil
	}
	defer mgr.Close()
	st.Manager = name
	nodes, err := mgr.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		st.SwarmErr = err.Error()
		return st, nil
	}
	// Several swarm entries can share a hostname after a rejoin; a Ready one wins.
	for _, n := range nodes {
		ns := byName[n.Description.Hostname]
		if ns == nil || (ns.State == string(swarm.NodeStateReady) && n.Status.State != swarm.NodeStateReady) {
			continue
		}
		ns.State = string(n.Status.State)
		ns.Availability = string(n.Spec.Availability)
		ns.Leader = n.ManagerStatus != nil && n.ManagerStatus.Leader
		ns.Engine = n.Description.Engine.EngineVersion
	}
	if hb, err := ReadHeartbeat(ctx, mgr); err == nil {
		st.Heartbeat = &hb
	}
	st.Services, err = Services(ctx, mgr, "")
	if err != nil {
		st.SwarmErr = err.Error()
	}
	return st, nil
}
