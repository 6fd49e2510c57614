package tutorial

import (
	"slices"
	"strings"
	"time"
)

// Lab states, as State.Lab reports them.
const (
	LabRunning = "running" // the manager runs; the rest may not (a stopped worker is a step)
	LabStopped = "stopped" // the manager does not run: nothing of the swarm can be read
	LabDown    = "down"    // no container, but the registry's data is kept: 'swarmlab down'
	LabAbsent  = "absent"  // nothing of the lab at all
)

// State is what the checks read: the lab as the host engine, the registry,
// the nodes' own engines and the host ports show it at one moment. Read fills
// it from a real lab; tests write it by hand.
type State struct {
	Lab        string
	Containers map[string]Container // by node name, and "registry"
	HostImages map[string]bool      // REPO:TAG of every image on the host engine

	// Registry maps each repository of the lab registry to its tags; nil
	// when the registry cannot be read.
	Registry map[string][]string

	Manager Engine            // the first manager's own engine
	Workers map[string]Engine // each running worker's own engine, by name
	Swarm   *Swarm            // as the manager sees it; nil when it manages no swarm

	// PullError is the last image pull worker01's engine logged as failed,
	// so that a pull typed wrong can be explained although it left nothing.
	PullError string

	Visualizer HTTP // GET / on the visualizer's host port
	App        HTTP // GET / on the ingress's host port

	NoIPVS bool // the nodes' kernel has no IPVS: no VIPs, no routing mesh

	// Record is what the swarm remembers of the learner's progress (the
	// steps seen done), so that steps whose trace goes away stay ticked.
	Record map[string]bool
}

// Container is one lab container on the host engine.
type Container struct {
	Running    bool
	StartedAt  time.Time // the last start
	FinishedAt time.Time // the last stop; zero when it never stopped
}

// Engine is a node's own Docker engine.
type Engine struct {
	Reachable  bool
	SwarmState string // inactive, pending, active, error, locked
	NodeID     string // its ID in the swarm it belongs to
	IsManager  bool   // it manages a swarm (its own, if not the lab's)
	Images     map[string]bool
}

// Swarm is the swarm as its manager reports it.
type Swarm struct {
	JoinToken   string // for workers
	ManagerAddr string // HOST:PORT workers join
	Nodes       []Node
	Services    []Service
	Networks    []Network
}

// Node is one member of the swarm.
type Node struct {
	ID, Hostname string
	Role         string // manager or worker
	State        string // ready, down, unknown, disconnected
	Availability string // active, pause, drain
}

// Service is one swarm service and its tasks.
type Service struct {
	Name     string
	Stack    string // its stack's name; "" for a service made by 'docker service create'
	Image    string // without digest
	Global   bool
	Replicas int // desired, for a replicated service
	Ports    []Port
	Tasks    []Task // those meant to run
	// LastError is the newest error of any of its tasks, such as a failed pull.
	LastError string
}

// Port is a published port of a service.
type Port struct {
	Published, Target int
	Mode              string // ingress or host
}

// Task is a task meant to run.
type Task struct {
	Node  string // hostname
	State string // running, pending, preparing, failed, ...
	Err   string
}

// Network is a swarm network.
type Network struct {
	Name, Driver, Scope string
	Attachable          bool
}

// HTTP is what a host port answered.
type HTTP struct {
	Status int    // 0 when it did not answer
	Body   string // its first bytes
	Err    string
}

// OK reports a 200 answer.
func (h HTTP) OK() bool { return h.Status == 200 }

// Running counts the service's running tasks, and those on managers.
func (s Service) Running(nodes []Node) (running, onManager int) {
	role := map[string]string{}
	for _, n := range nodes {
		role[n.Hostname] = n.Role
	}
	for _, t := range s.Tasks {
		if t.State == "running" {
			running++
			if role[t.Node] == "manager" {
				onManager++
			}
		}
	}
	return running, onManager
}

// TaskNodes lists the distinct nodes the service's running tasks are on.
func (s Service) TaskNodes() []string {
	var out []string
	for _, t := range s.Tasks {
		if t.State == "running" && !slices.Contains(out, t.Node) {
			out = append(out, t.Node)
		}
	}
	slices.Sort(out)
	return out
}

// Service returns the named service.
func (sw *Swarm) Service(name string) (Service, bool) {
	if sw == nil {
		return Service{}, false
	}
	for _, s := range sw.Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

// Node returns the member with the hostname; a Ready entry wins over the
// Down ones a node that rejoined leaves behind.
func (sw *Swarm) Node(hostname string) (Node, bool) {
	var found Node
	ok := false
	if sw == nil {
		return found, false
	}
	for _, n := range sw.Nodes {
		if n.Hostname == hostname && (!ok || n.State == "ready") {
			found, ok = n, true
		}
	}
	return found, ok
}

// Network returns the named network.
func (sw *Swarm) Network(name string) (Network, bool) {
	if sw == nil {
		return Network{}, false
	}
	for _, n := range sw.Networks {
		if n.Name == name {
			return n, true
		}
	}
	return Network{}, false
}

// StackServices lists the services of a stack.
func (sw *Swarm) StackServices(stack string) []Service {
	var out []Service
	if sw == nil {
		return out
	}
	for _, s := range sw.Services {
		if s.Stack == stack {
			out = append(out, s)
		}
	}
	return out
}

// repoOf is the repository part of an image reference: no tag, no digest.
func repoOf(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}
