package lab

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"

	"github.com/swarmlab/swarmlab/internal/docker"
)

// fakeManager lists nodes whose states advance one step per NodeList.
type fakeManager struct {
	docker.Swarm
	mu      sync.Mutex
	lists   [][]swarm.Node // what each NodeList answers; the last one repeats
	cycle   bool           // or all of them, in turn
	removed []string
}

func (m *fakeManager) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.lists[0]
	if len(m.lists) > 1 {
		m.lists = m.lists[1:]
		if m.cycle {
			m.lists = append(m.lists, l)
		}
	}
	return l, nil
}

func (m *fakeManager) NodeRemove(_ context.Context, id string, _ swarm.NodeRemoveOptions) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.removed = append(m.removed, id)
	return nil
}

func node(id, host string, state swarm.NodeState) swarm.Node {
	n := swarm.Node{ID: id}
	n.Description.Hostname, n.Status.State = host, state
	return n
}

func TestWaitNodesReadyDropsTheEntriesOfRejoinedNodes(t *testing.T) {
	t.Parallel()
	mgr := &fakeManager{lists: [][]swarm.Node{
		{node("m", "manager", swarm.NodeStateReady), node("old", "worker01", swarm.NodeStateDown)},
		{node("m", "manager", swarm.NodeStateReady), node("old", "worker01", swarm.NodeStateDown), node("new", "worker01", swarm.NodeStateReady)},
	}}
	var progress []string
	err := waitNodesReady(context.Background(), newClock(), mgr, []string{"manager", "worker01"}, ReadyPatience, func(s string) { progress = append(progress, s) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(mgr.removed) != 1 || mgr.removed[0] != "old" {
		t.Errorf("removed %v, want the Down entry of the rejoined worker01", mgr.removed)
	}
	if progress[0] != "1/2 Ready; worker01 down" || progress[len(progress)-1] != "2/2 Ready" {
		t.Errorf("progress = %v", progress)
	}
}

func TestWaitNodesReadyGivesUpSayingHowFar(t *testing.T) {
	t.Parallel()
	ready, down := swarm.NodeStateReady, swarm.NodeStateDown
	tests := []struct {
		name  string
		lists [][]swarm.Node
		cycle bool
		want  string
		flaps int
	}{
		{"one stays down", [][]swarm.Node{{node("m", "manager", ready), node("w", "worker01", down)}}, false,
			"nodes not Ready: nothing changed for 2m0s; last seen: 1/2 Ready; worker01 down", 0},
		{"one never joins", [][]swarm.Node{{node("m", "manager", ready)}}, false,
			"nodes not Ready: nothing changed for 2m0s; last seen: 1/2 Ready; worker01 not joined", 0},
		// Back and forth for ever is no progress, and each flap is heard.
		{"one flaps", [][]swarm.Node{{node("m", "manager", ready), node("w", "worker01", ready)}, {node("m", "manager", ready), node("w", "worker01", down)}}, true,
			"nodes not Ready: nothing changed for 2m0s", 241},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mgr := &fakeManager{lists: tt.lists, cycle: tt.cycle}
			want := []string{"manager", "worker01"}
			if tt.cycle {
				want = append(want, "worker02") // so that no look finds every node Ready
			}
			flaps := 0
			err := waitNodesReady(context.Background(), newClock(), mgr, want, ReadyPatience, func(string) {}, func(string) { flaps++ })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if flaps != tt.flaps {
				t.Errorf("%d flaps heard, want %d", flaps, tt.flaps)
			}
		})
	}
}

// fakeTasks is a manager running one stack service of two replicas, whose
// tasks are, at each look, the next of steps (the last one repeats).
type fakeTasks struct {
	docker.Swarm
	steps    [][]swarm.Task
	cycle    bool
	updating int // how many looks see a rolling update under way
}

func (f *fakeTasks) ServiceList(context.Context, swarm.ServiceListOptions) ([]swarm.Service, error) {
	two := uint64(2)
	s := swarm.Service{ID: "api"}
	if f.updating > 0 {
		f.updating--
		s.UpdateStatus = &swarm.UpdateStatus{State: swarm.UpdateStateUpdating}
	}
	s.Spec.Name = "swtest_api"
	s.Spec.TaskTemplate.ContainerSpec = &swarm.ContainerSpec{Image: "registry:5000/swtest/api:latest"}
	s.Spec.Mode.Replicated = &swarm.ReplicatedService{Replicas: &two}
	return []swarm.Service{s}, nil
}

func (f *fakeTasks) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	return []swarm.Node{node("n", "worker01", swarm.NodeStateReady)}, nil
}

func (f *fakeTasks) TaskList(context.Context, swarm.TaskListOptions) ([]swarm.Task, error) {
	ts := f.steps[0]
	if len(f.steps) > 1 {
		f.steps = f.steps[1:]
		if f.cycle {
			f.steps = append(f.steps, ts)
		}
	}
	return ts, nil
}

func apiTask(state swarm.TaskState, err string) swarm.Task {
	t := swarm.Task{ServiceID: "api", NodeID: "n", DesiredState: swarm.TaskStateRunning}
	t.Status.State, t.Status.Err = state, err
	if err != "" {
		t.Status.Timestamp = time.Unix(1, 0)
	}
	if state == swarm.TaskStateFailed {
		t.DesiredState = swarm.TaskStateShutdown
	}
	return t
}

// repeat is n looks that find the same tasks.
func repeat(n int, ts ...swarm.Task) [][]swarm.Task {
	out := make([][]swarm.Task, n)
	for i := range out {
		out[i] = ts
	}
	return out
}

func TestWaitStackFollowsTasks(t *testing.T) {
	t.Parallel()
	p := Patience{Stall: time.Minute, Max: 10 * time.Minute}
	pending, preparing, starting, running, failed := swarm.TaskStatePending, swarm.TaskStatePreparing, swarm.TaskStateStarting, swarm.TaskStateRunning, swarm.TaskStateFailed
	var slow [][]swarm.Task // an emulated machine: each state lasts 50 s, 5 minutes in all
	for _, st := range [][]swarm.Task{
		{apiTask(pending, ""), apiTask(pending, "")},
		{apiTask(preparing, ""), apiTask(pending, "")},
		{apiTask(starting, ""), apiTask(preparing, "")},
		{apiTask(running, ""), apiTask(preparing, "")},
		{apiTask(running, ""), apiTask(starting, "")},
		{apiTask(running, ""), apiTask(running, "")},
	} {
		slow = append(slow, repeat(50*1000/300, st...)...)
	}
	tests := []struct {
		name     string
		steps    [][]swarm.Task
		cycle    bool
		updating int
		want     string // "" for converged
	}{
		{"converges slowly", slow, false, 0, ""},
		// Between two tasks of a rolling update every replica runs; the update is not over.
		{"a rolling update that stops", repeat(1, apiTask(running, ""), apiTask(running, "")), false, 1000,
			"stack swtest did not converge: nothing changed for 1m0s; last seen: swtest_api 2/2 (updating)"},
		{"a rolling update that ends", repeat(1, apiTask(running, ""), apiTask(running, "")), false, 10, ""},
		{"an image that takes longer than Stall to pull",
			append(repeat(70*1000/300, apiTask(preparing, ""), apiTask(preparing, "")), []swarm.Task{apiTask(running, ""), apiTask(running, "")}), false, 0,
			"stack swtest did not converge: nothing changed for 1m0s; last seen: swtest_api 0/2 (2 preparing)"},
		{"a task that fails again and again",
			[][]swarm.Task{{apiTask(running, ""), apiTask(starting, "")}, {apiTask(running, ""), apiTask(failed, "exit 1"), apiTask(pending, "")}}, true, 0,
			"stack swtest did not converge: nothing changed for 1m0s; last seen: swtest_api 1/2 (1 pending) (swtest_api: exit 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mgr := &fakeTasks{steps: tt.steps, cycle: tt.cycle, updating: tt.updating}
			err := waitStack(context.Background(), newClock(), mgr, "swtest", p, func(string) {})
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || err.Error() != tt.want) {
				t.Fatalf("err = %v\nwant %q", err, tt.want)
			}
		})
	}
}

// stoppingEngine holds node containers whose dockerd may give up by itself:
// a container stopped at the start, and again at each start while stops
// says so.
type stoppingEngine struct {
	*fakeEngine
	mu      sync.Mutex
	running map[string]bool
	stops   map[string]int
	starts  map[string]int
}

func (e *stoppingEngine) ContainerInspect(_ context.Context, id string) (container.InspectResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{State: &container.State{Running: e.running[id], ExitCode: 1}}, Config: &container.Config{Tty: true}}
	return r, nil
}

func (e *stoppingEngine) ContainerLogs(context.Context, string, container.LogsOptions) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("2026-01-01T00:00:00Z starting\n2026-01-01T00:01:00Z time=\"...\" level=error msg=\"timeout waiting for containerd\"\n")), nil
}

func (e *stoppingEngine) ContainerStart(_ context.Context, id string, _ container.StartOptions) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.starts[id]++
	if e.stops[id] > 0 {
		e.stops[id]--
		return nil
	}
	e.running[id] = true
	return nil
}

// nodeEngine answers Info while its container runs.
type nodeEngine struct {
	docker.Swarm
	e  *stoppingEngine
	id string
}

func (n nodeEngine) Info(context.Context) (system.Info, error) {
	n.e.mu.Lock()
	defer n.e.mu.Unlock()
	if !n.e.running[n.id] {
		return system.Info{}, errors.New("Cannot connect to the Docker daemon")
	}
	return system.Info{}, nil
}

func (nodeEngine) Close() error { return nil }

func TestWaitNodeEnginesStartsAStoppedNodeOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		stops int // how many more times node b stops by itself
		want  string
	}{
		{"b starts when started alone", 0, ""},
		{"b stops again", 1, "the engine in b did not answer: it stopped again (exit code 1; last logged: timeout waiting for containerd)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := &stoppingEngine{fakeEngine: newFake(), running: map[string]bool{"a": true}, stops: map[string]int{"b": tt.stops}, starts: map[string]int{}}
			l, out := testLab(t, e.fakeEngine)
			l.Engine, l.clock = e, newClock()
			l.NodeClient = func(id string) (docker.Swarm, error) { return nodeEngine{e: e, id: id}, nil }
			inv := Inventory{Containers: map[string]container.Summary{"a": {ID: "a"}, "b": {ID: "b"}}}
			err := l.waitNodeEngines(context.Background(), inv, []string{"a", "b"}, engineAnswers, EnginePatience, func(string) {})
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if e.starts["b"] != 1 || e.starts["a"] != 0 {
				t.Errorf("starts = %v, want b started once", e.starts)
			}
			if note := "the engine in b stopped (exit code 1; last logged: timeout waiting for containerd): starting it again, once"; !strings.Contains(out.String(), note) {
				t.Errorf("output lacks %q:\n%s", note, out)
			}
		})
	}
}
