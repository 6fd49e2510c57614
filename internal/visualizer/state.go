package visualizer

import (
	"hash/fnv"
	"sort"
	"strings"
	"time"

	"github.com/swarmlab/swarmlab/internal/visualizer/panel"
)

// State is the view model of the page: only what the page shows. It is sent
// to every browser as is, so it must never carry container environments,
// secrets, configs or mounts; the Docker source copies fields one by one for
// that reason instead of embedding engine types.
type State struct {
	// Time is the server's clock when the state was sent. The page uses it
	// to show "time in state" without trusting the browser's clock.
	Time time.Time `json:"time,omitzero"`
	// Error says why the swarm could not be read (for example Docker is
	// unreachable). The rest of the state is then the last one known.
	Error    string    `json:"error,omitempty"`
	Nodes    []Node    `json:"nodes"`
	Services []Service `json:"services"`
	Tasks    []Task    `json:"tasks"`
	Networks []Network `json:"networks"`
	// Tutorial is the hands-on tutorial's progress, when 'swarmlab
	// tutorial' published it on the swarm; the page then shows a panel.
	Tutorial *panel.Tutorial `json:"tutorial,omitempty"`
}

// Node is one swarm node, shown as one column.
type Node struct {
	ID       string `json:"id"`
	Hostname string `json:"hostname"`
	// Role is "manager" or "worker".
	Role   string `json:"role"`
	Leader bool   `json:"leader,omitempty"`
	// Status is "ready", "down", "disconnected" or "unknown".
	Status string `json:"status"`
	// Message explains a non-ready status, such as "heartbeat failure".
	Message string `json:"message,omitempty"`
	// Availability is "active", "pause" or "drain".
	Availability string            `json:"availability"`
	Addr         string            `json:"addr,omitempty"`
	Engine       string            `json:"engine,omitempty"`
	Platform     string            `json:"platform,omitempty"`
	CPUs         float64           `json:"cpus,omitempty"`
	MemoryBytes  int64             `json:"memoryBytes,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
}

// Service is one swarm service, shown in the summary bar.
type Service struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Image is for display: no registry host, no digest.
	Image string `json:"image"`
	// Mode is "replicated", "global", "replicated-job" or "global-job".
	Mode    string `json:"mode"`
	Running uint64 `json:"running"`
	Desired uint64 `json:"desired"`
	// Hue (0–359) colours every card of the service the same way.
	Hue   int      `json:"hue"`
	Ports []string `json:"ports,omitempty"`
	// Update is the state of a rolling update ("updating", "completed", ...).
	Update string `json:"update,omitempty"`
}

// Task is one task of a service, shown as a card in its node's column.
type Task struct {
	ID        string `json:"id"`
	ServiceID string `json:"serviceId"`
	Service   string `json:"service"`
	Hue       int    `json:"hue"`
	Image     string `json:"image"`
	// Slot is the replica number; 0 for global services.
	Slot int `json:"slot,omitempty"`
	// NodeID is empty while the task waits for a node.
	NodeID string `json:"nodeId,omitempty"`
	Node   string `json:"node,omitempty"`
	// State is the observed state (running, starting, failed, shutdown, ...).
	State        string `json:"state"`
	DesiredState string `json:"desiredState"`
	// Since is when the task entered State.
	Since time.Time `json:"since"`
	Error string    `json:"error,omitempty"`
}

// Network is an overlay network, shown in the summary bar.
type Network struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Subnet     string `json:"subnet,omitempty"`
	Ingress    bool   `json:"ingress,omitempty"`
	Attachable bool   `json:"attachable,omitempty"`
}

// How long and how many finished tasks stay on the page: long enough to see
// a task being rescheduled, few enough that task history does not bury the
// running ones.
const (
	RecentWindow     = 60 * time.Second
	RecentPerService = 3
)

// terminal reports whether a task state is final: the task will not run again.
func terminal(state string) bool {
	switch state {
	case "complete", "shutdown", "failed", "rejected", "remove", "orphaned":
		return true
	}
	return false
}

// pruneTasks keeps every live task and, per service, only the few most
// recent finished ones within RecentWindow. A task that is still "running"
// but is wanted shut down on a node that is gone counts as finished, since
// it will only be cleaned up when the node comes back. It also sorts tasks
// so that the page and the tests see a stable order.
func pruneTasks(tasks []Task, downNodes map[string]time.Time, now time.Time) []Task {
	type old struct {
		t   Task
		end time.Time
	}
	var live []Task
	finished := map[string][]old{}
	for _, t := range tasks {
		end, gone := t.Since, terminal(t.State)
		if down, ok := downNodes[t.NodeID]; ok && terminal(t.DesiredState) && !gone {
			gone = true
			if down.After(end) {
				end = down // it stopped counting when the node went down
			}
		}
		if !gone {
			live = append(live, t)
			continue
		}
		if now.Sub(end) <= RecentWindow {
			finished[t.Service] = append(finished[t.Service], old{t, end})
		}
	}
	for _, olds := range finished {
		sort.Slice(olds, func(i, j int) bool { return olds[i].end.After(olds[j].end) })
		for i, o := range olds {
			if i == RecentPerService {
				break
			}
			live = append(live, o.t)
		}
	}
	sortTasks(live)
	return live
}

func sortTasks(tasks []Task) {
	sort.SliceStable(tasks, func(i, j int) bool {
		a, b := tasks[i], tasks[j]
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		if a.Slot != b.Slot {
			return a.Slot < b.Slot
		}
		if a.Node != b.Node {
			return a.Node < b.Node
		}
		return a.Since.After(b.Since) // newest first within a slot
	})
}

// sortNodes puts managers first (the leader first of all), then workers, by
// hostname, so columns do not jump around between updates.
func sortNodes(nodes []Node) {
	sort.SliceStable(nodes, func(i, j int) bool {
		a, b := nodes[i], nodes[j]
		if a.Leader != b.Leader {
			return a.Leader
		}
		if a.Role != b.Role {
			return a.Role == "manager"
		}
		return a.Hostname < b.Hostname
	})
}

// ServiceHue maps a service name to a hue so that each service keeps its
// colour across reloads, browsers and restarts.
func ServiceHue(name string) int {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int(h.Sum32() % 360)
}

// DisplayImage shortens an image reference for a card:
// "127.0.0.1:5000/lab/web:1.2@sha256:ab…" becomes "lab/web:1.2". The
// registry host and digest are noise to a learner looking at placement.
func DisplayImage(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.Index(ref, "/"); i >= 0 {
		host := ref[:i]
		if strings.ContainsAny(host, ".:") || host == "localhost" {
			ref = ref[i+1:]
		}
	}
	return strings.TrimPrefix(ref, "library/")
}
