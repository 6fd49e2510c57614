package chaos

// The timeline of chaos: successive reads of the swarm through a manager,
// turned into events, until the swarm has converged after the event.

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/docker"
)

// Event is one line of a chaos timeline.
type Event struct {
	At   time.Duration `json:"at"` // since the event started; negative before it
	What string        `json:"what"`
}

// timeline collects events from the watcher, the request loop and the
// action, which run concurrently, and hands each to report as it comes.
type timeline struct {
	mu     sync.Mutex
	t0     time.Time
	events []Event
	report func(Event)
}

func (tl *timeline) at(t time.Time, what string) {
	e := Event{At: t.Sub(tl.t0).Round(100 * time.Millisecond), What: what}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.events = append(tl.events, e)
	tl.report(e)
}

func (tl *timeline) now(what string) { tl.at(time.Now(), what) }

func (tl *timeline) list() []Event {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return append([]Event(nil), tl.events...)
}

// swarmView is one read of the swarm.
type swarmView struct {
	nodes []swarm.Node
	svcs  []swarm.Service
	tasks []swarm.Task
}

func readSwarm(ctx context.Context, mgr docker.Swarm) (swarmView, error) {
	var v swarmView
	var err error
	if v.nodes, err = mgr.NodeList(ctx, swarm.NodeListOptions{}); err != nil {
		return v, err
	}
	if v.svcs, err = mgr.ServiceList(ctx, swarm.ServiceListOptions{}); err != nil {
		return v, err
	}
	v.tasks, err = mgr.TaskList(ctx, swarm.TaskListOptions{})
	return v, err
}

// watcher turns reads of the swarm into events and says when the swarm has
// converged: the scenario's own condition, every service at its desired
// replicas, and no task meant to run left on the node.
type watcher struct {
	o         Options
	nodeID    string // the node the event hits; "" for an update
	serviceID string // the service updated
	t0        time.Time
	f         *Failover
	tl        *timeline
	old       map[string]string // tasks running before the event: id → "svc.slot on node"
	seen      map[string]bool   // tasks already reported
	completed bool              // the update was reported completed
}

// newWatcher remembers which tasks ran before the event.
func newWatcher(o Options, nodeID, serviceID string, t0 time.Time, before swarmView, f *Failover, tl *timeline) *watcher {
	w := &watcher{o: o, nodeID: nodeID, serviceID: serviceID, t0: t0, f: f, tl: tl, old: map[string]string{}, seen: map[string]bool{}}
	names := nodeNamesByID(before.nodes)
	svcs := serviceNamesByID(before.svcs)
	for _, t := range before.tasks {
		if t.Status.State == swarm.TaskStateRunning {
			w.old[t.ID] = fmt.Sprintf("%s.%d on %s", svcs[t.ServiceID], t.Slot, names[t.NodeID])
		}
	}
	return w
}

// observe reports what changed since the last read and whether the swarm
// has converged; an error means it never will (an update that paused).
func (w *watcher) observe(v swarmView, now time.Time) (bool, error) {
	names := nodeNamesByID(v.nodes)
	svcNames := serviceNamesByID(v.svcs)
	nodeDone := w.o.Scenario == ScenarioUpdate
	for _, n := range v.nodes {
		if w.f.WasLeader && w.f.NewLeader == "" && n.ID != w.nodeID && n.ManagerStatus != nil && n.ManagerStatus.Leader {
			w.f.NewLeader = n.Description.Hostname
			w.tl.now(w.f.NewLeader + " elected Leader")
		}
		if n.ID != w.nodeID {
			continue
		}
		switch w.o.Scenario {
		case ScenarioStop, ScenarioKill:
			if w.f.NodeDown == 0 && n.Status.State == swarm.NodeStateDown {
				w.f.NodeDown = now.Sub(w.t0)
				w.tl.now("manager recorded " + w.o.Node + " Down")
			}
			nodeDone = w.f.NodeDown > 0
		case ScenarioDrain:
			nodeDone = n.Spec.Availability == swarm.NodeAvailabilityDrain
		}
	}
	for _, t := range v.tasks {
		if what, ok := w.old[t.ID]; ok && !w.seen[t.ID] && stopped(t.Status.State) {
			w.seen[t.ID] = true
			w.tl.now(fmt.Sprintf("task %s stopped (%s)", what, t.Status.State))
		}
		if w.seen[t.ID] || t.NodeID == w.nodeID || !t.CreatedAt.After(w.t0) || t.Status.State != swarm.TaskStateRunning {
			continue
		}
		w.seen[t.ID] = true
		w.f.Rescheduled++
		w.tl.now(fmt.Sprintf("task %s.%d running on %s", svcNames[t.ServiceID], t.Slot, names[t.NodeID]))
	}
	updated, err := w.updated(v.svcs)
	if err != nil || !nodeDone || !updated || !converged(v, w.nodeID) {
		return false, err
	}
	w.f.Restored = now.Sub(w.t0)
	w.tl.now("every service back at its desired replicas")
	return true, nil
}

// updated reports, for an update, whether swarm completed it; other
// scenarios have nothing to wait for here.
func (w *watcher) updated(svcs []swarm.Service) (bool, error) {
	if w.o.Scenario != ScenarioUpdate {
		return true, nil
	}
	for _, s := range svcs {
		u := s.UpdateStatus
		if s.ID != w.serviceID || u == nil || u.StartedAt == nil || u.StartedAt.Before(w.t0.Add(-time.Second)) {
			continue
		}
		switch u.State {
		case swarm.UpdateStateCompleted:
			if !w.completed {
				w.completed = true
				w.tl.now("swarm reports the update of " + s.Spec.Name + " completed")
			}
			return true, nil
		case swarm.UpdateStatePaused, swarm.UpdateStateRollbackStarted, swarm.UpdateStateRollbackPaused, swarm.UpdateStateRollbackCompleted:
			return false, fmt.Errorf("the update of %s stopped (%s): %s", s.Spec.Name, u.State, u.Message)
		}
	}
	return false, nil
}

// converged reports every service running its desired tasks, and none of
// them meant to run on node (a stopped or drained one).
func converged(v swarmView, node string) bool {
	running := map[string]uint64{}
	meant := map[string]uint64{}
	for _, t := range v.tasks {
		if t.DesiredState != swarm.TaskStateRunning {
			continue
		}
		if node != "" && t.NodeID == node {
			return false
		}
		meant[t.ServiceID]++
		if t.Status.State == swarm.TaskStateRunning {
			running[t.ServiceID]++
		}
	}
	for _, s := range v.svcs {
		want := meant[s.ID] // a global service: one per eligible node
		if r := s.Spec.Mode.Replicated; r != nil && r.Replicas != nil {
			want = *r.Replicas
		}
		if running[s.ID] < want {
			return false
		}
	}
	return true
}

// stopped reports a task state past running.
func stopped(s swarm.TaskState) bool {
	switch s {
	case swarm.TaskStateShutdown, swarm.TaskStateComplete, swarm.TaskStateFailed, swarm.TaskStateRejected, swarm.TaskStateOrphaned, swarm.TaskStateRemove:
		return true
	}
	return false
}

func nodeNamesByID(nodes []swarm.Node) map[string]string {
	m := map[string]string{}
	for _, n := range nodes {
		m[n.ID] = n.Description.Hostname
	}
	return m
}

func serviceNamesByID(svcs []swarm.Service) map[string]string {
	m := map[string]string{}
	for _, s := range svcs {
		m[s.ID] = s.Spec.Name
	}
	return m
}
