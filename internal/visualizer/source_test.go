package visualizer

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
)

// fakeDocker is a DockerAPI whose answers the test sets.
type fakeDocker struct {
	mu       sync.Mutex
	err      error // returned by every list call when set
	info     system.Info
	nodes    []swarm.Node
	services []swarm.Service
	tasks    []swarm.Task
	networks []network.Summary
	swarm    swarm.Swarm
	svcOpts  swarm.ServiceListOptions
	netOpts  network.ListOptions
	events   chan events.Message
	evErrs   chan error
	evCalls  int
}

func (f *fakeDocker) Info(context.Context) (system.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.info, f.err
}

func (f *fakeDocker) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.nodes, f.err
}

func (f *fakeDocker) ServiceList(_ context.Context, o swarm.ServiceListOptions) ([]swarm.Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.svcOpts = o
	return f.services, f.err
}

func (f *fakeDocker) TaskList(context.Context, swarm.TaskListOptions) ([]swarm.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tasks, f.err
}

func (f *fakeDocker) NetworkList(_ context.Context, o network.ListOptions) ([]network.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.netOpts = o
	return f.networks, f.err
}

func (f *fakeDocker) SwarmInspect(context.Context) (swarm.Swarm, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.swarm, f.err
}

func (f *fakeDocker) Events(context.Context, events.ListOptions) (<-chan events.Message, <-chan error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.evCalls++
	return f.events, f.evErrs
}

var _ DockerAPI = (*fakeDocker)(nil)

const secretEnv = "DB_PASSWORD=hunter2-do-not-leak"

// labSwarm is a manager and two workers (one down) running web (2 replicas,
// one on the down node, replaced) and a global agent, with the kinds of
// sensitive spec fields that must never reach the page.
func labSwarm(now time.Time) *fakeDocker {
	replicas := uint64(2)
	spec := swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{
		Image:   "127.0.0.1:5000/lab/web:1.2@sha256:0123456789abcdef",
		Env:     []string{secretEnv},
		Args:    []string{"--token=arg-secret"},
		Mounts:  []mount.Mount{{Type: mount.TypeBind, Source: "/srv/mount-secret", Target: "/data"}},
		Secrets: []*swarm.SecretReference{{SecretName: "secret-name-x", SecretID: "sid"}},
		Configs: []*swarm.ConfigReference{{ConfigName: "config-name-x", ConfigID: "cid"}},
	}}
	node := func(id, host string, role swarm.NodeRole, state swarm.NodeState, leader bool) swarm.Node {
		n := swarm.Node{ID: id, Meta: swarm.Meta{UpdatedAt: now.Add(-5 * time.Second)}}
		n.Spec.Role, n.Spec.Availability = role, swarm.NodeAvailabilityActive
		n.Description.Hostname = host
		n.Description.Engine.EngineVersion = "20.10.24"
		n.Description.Resources = swarm.Resources{NanoCPUs: 2e9, MemoryBytes: 2 << 30}
		n.Description.Platform = swarm.Platform{OS: "linux", Architecture: "x86_64"}
		n.Status = swarm.NodeStatus{State: state, Addr: "10.0.0." + id[len(id)-1:]}
		if role == swarm.NodeRoleManager {
			n.ManagerStatus = &swarm.ManagerStatus{Leader: leader}
		}
		return n
	}
	workerLabels := node("n2", "worker-1", swarm.NodeRoleWorker, swarm.NodeStateReady, false)
	workerLabels.Spec.Labels = map[string]string{"zone": "a"}
	down := node("n3", "worker-2", swarm.NodeRoleWorker, swarm.NodeStateDown, false)
	down.Status.Message = "heartbeat failure"
	task := func(id, svc, node string, slot int, state, desired swarm.TaskState, since time.Duration) swarm.Task {
		return swarm.Task{
			ID: id, ServiceID: svc, NodeID: node, Slot: slot, Spec: spec,
			Status:       swarm.TaskStatus{State: state, Timestamp: now.Add(-since), Message: "started"},
			DesiredState: desired,
		}
	}
	failed := task("t-failed", "s-web", "n2", 2, swarm.TaskStateFailed, swarm.TaskStateShutdown, 3*time.Second)
	failed.Status.Err = "task: non-zero exit (1)"
	web := swarm.Service{ID: "s-web", ServiceStatus: &swarm.ServiceStatus{RunningTasks: 2, DesiredTasks: 2}}
	web.Spec.Name = "web"
	web.Spec.Mode.Replicated = &swarm.ReplicatedService{Replicas: &replicas}
	web.Spec.TaskTemplate = spec
	web.Spec.Labels = map[string]string{"com.example.secret-label": "label-secret"}
	web.Endpoint.Ports = []swarm.PortConfig{{Protocol: "tcp", TargetPort: 80, PublishedPort: 8080}}
	agent := swarm.Service{ID: "s-agent"}
	agent.Spec.Name = "agent"
	agent.Spec.Mode.Global = &swarm.GlobalService{}
	agent.Spec.TaskTemplate = swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "agent:1", Env: []string{secretEnv}}}
	f := &fakeDocker{
		info: system.Info{Swarm: swarm.Info{ControlAvailable: true, LocalNodeState: swarm.LocalNodeStateActive}},
		nodes: []swarm.Node{
			down, workerLabels,
			node("n1", "manager", swarm.NodeRoleManager, swarm.NodeStateReady, true),
		},
		services: []swarm.Service{web, agent},
		tasks: []swarm.Task{
			task("t-web1", "s-web", "n1", 1, swarm.TaskStateRunning, swarm.TaskStateRunning, 30*time.Second),
			task("t-web2-old", "s-web", "n3", 2, swarm.TaskStateRunning, swarm.TaskStateShutdown, time.Hour),
			failed,
			task("t-web2", "s-web", "n2", 2, swarm.TaskStateStarting, swarm.TaskStateRunning, time.Second),
			task("t-agent1", "s-agent", "n1", 0, swarm.TaskStateRunning, swarm.TaskStateRunning, time.Hour),
			task("t-agent2", "s-agent", "n2", 0, swarm.TaskStateRunning, swarm.TaskStateRunning, time.Hour),
			task("t-old", "s-agent", "n2", 0, swarm.TaskStateShutdown, swarm.TaskStateShutdown, 2*time.Hour),
			task("t-orphan", "s-gone", "n2", 1, swarm.TaskStateRunning, swarm.TaskStateRunning, time.Hour),
		},
		networks: []network.Summary{
			{ID: "net2", Name: "lab_default", Driver: "overlay", Attachable: true,
				IPAM: network.IPAM{Config: []network.IPAMConfig{{Subnet: "10.0.1.0/24"}}}},
			{ID: "net1", Name: "ingress", Driver: "overlay", Ingress: true},
			{ID: "net0", Name: "bridge", Driver: "bridge"}, // the engine ignored the filter
		},
	}
	return f
}

func newTestDockerSource(f *fakeDocker, now time.Time) *DockerSource {
	d := NewDockerSource(f, nil)
	d.now = func() time.Time { return now }
	return d
}

func TestDockerSourceSnapshotMapsSwarm(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	f := labSwarm(now)
	st, err := newTestDockerSource(f, now).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !f.svcOpts.Status {
		t.Error("ServiceList must ask for Status, or running/desired counts are missing")
	}
	if got := f.netOpts.Filters.Get("driver"); len(got) != 1 || got[0] != "overlay" {
		t.Errorf("NetworkList filter driver = %v, want [overlay]", got)
	}

	var hosts []string
	for _, n := range st.Nodes {
		hosts = append(hosts, n.Hostname)
	}
	if strings.Join(hosts, ",") != "manager,worker-1,worker-2" {
		t.Errorf("nodes = %v, want leader first then workers by name", hosts)
	}
	m, w2 := st.Nodes[0], st.Nodes[2]
	if !m.Leader || m.Role != "manager" || m.Status != "ready" || m.Availability != "active" ||
		m.Engine != "20.10.24" || m.CPUs != 2 || m.MemoryBytes != 2<<30 || m.Platform != "linux/x86_64" {
		t.Errorf("manager = %+v", m)
	}
	if w2.Status != "down" || w2.Message != "heartbeat failure" {
		t.Errorf("down worker = %+v", w2)
	}
	if st.Nodes[1].Labels["zone"] != "a" {
		t.Errorf("worker-1 labels = %v", st.Nodes[1].Labels)
	}

	if len(st.Services) != 2 || st.Services[0].Name != "agent" || st.Services[1].Name != "web" {
		t.Fatalf("services = %+v", st.Services)
	}
	agent, web := st.Services[0], st.Services[1]
	// ServiceStatus says 2 running, but one of them is on the Down node and
	// its replacement is still starting: the page shows 1/2.
	if web.Mode != "replicated" || web.Running != 1 || web.Desired != 2 || web.Image != "lab/web:1.2" ||
		web.Hue != ServiceHue("web") || len(web.Ports) != 1 || web.Ports[0] != "8080:80/tcp" {
		t.Errorf("web = %+v", web)
	}
	// No ServiceStatus: counted from the tasks.
	if agent.Mode != "global" || agent.Running != 2 || agent.Desired != 2 {
		t.Errorf("agent = %+v", agent)
	}

	byID := map[string]Task{}
	for _, tk := range st.Tasks {
		byID[tk.ID] = tk
	}
	for _, id := range []string{"t-web1", "t-web2", "t-web2-old", "t-failed", "t-agent1", "t-agent2"} {
		if _, ok := byID[id]; !ok {
			t.Errorf("task %s missing", id)
		}
	}
	for _, id := range []string{"t-old", "t-orphan"} {
		if _, ok := byID[id]; ok {
			t.Errorf("task %s shown, want it left out", id)
		}
	}
	if tk := byID["t-failed"]; tk.State != "failed" || tk.Error != "task: non-zero exit (1)" || tk.Node != "worker-1" ||
		tk.Service != "web" || tk.Slot != 2 || tk.Image != "lab/web:1.2" || tk.Hue != web.Hue {
		t.Errorf("failed task = %+v", tk)
	}
	if tk := byID["t-web2-old"]; tk.Node != "worker-2" || tk.DesiredState != "shutdown" {
		t.Errorf("task stranded on the down node = %+v", tk)
	}
	if len(st.Networks) != 2 || st.Networks[0].Name != "ingress" || !st.Networks[0].Ingress ||
		st.Networks[1].Subnet != "10.0.1.0/24" {
		t.Errorf("networks = %+v", st.Networks)
	}
}

// The page is reachable by anyone who can reach the lab: nothing of a
// container's environment, arguments, mounts, secrets or configs may be in it.
func TestDockerSourceSnapshotLeaksNothing(t *testing.T) {
	t.Parallel()
	now := time.Now()
	st, err := newTestDockerSource(labSwarm(now), now).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(st)
	for _, secret := range []string{"hunter2", "DB_PASSWORD", "arg-secret", "mount-secret", "secret-name-x", "config-name-x", "label-secret", "sha256"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("state JSON contains %q:\n%s", secret, b)
		}
	}
}

func TestDockerSourceSnapshotErrors(t *testing.T) {
	t.Parallel()
	f := labSwarm(time.Now())
	f.err = errors.New("dial unix /var/run/docker.sock: connect: no such file or directory")
	_, err := NewDockerSource(f, nil).Snapshot(context.Background())
	if err == nil || !strings.Contains(err.Error(), "Docker is unreachable") || !strings.Contains(err.Error(), "docker.sock") {
		t.Errorf("unreachable: err = %v", err)
	}

	f = labSwarm(time.Now())
	f.info.Swarm = swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}
	_, err = NewDockerSource(f, nil).Snapshot(context.Background())
	if !errors.Is(err, ErrNotManager) || !strings.Contains(err.Error(), "inactive") {
		t.Errorf("not a manager: err = %v", err)
	}
}

func TestDockerSourceWatch(t *testing.T) {
	t.Parallel()
	f := &fakeDocker{events: make(chan events.Message), evErrs: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	ch := NewDockerSource(f, nil).Watch(ctx)

	f.events <- events.Message{Type: events.NodeEventType, Action: "update"}
	waitSignal(t, ch, "after a node event")

	// A broken stream is re-opened, and signals a change since events may
	// have been missed in between.
	f.evErrs <- errors.New("unexpected EOF")
	waitSignal(t, ch, "after the event stream broke")
	deadline := time.Now().Add(3 * time.Second)
	for {
		f.mu.Lock()
		calls := f.evCalls
		f.mu.Unlock()
		if calls >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("event stream not re-opened: %d calls", calls)
		}
		time.Sleep(10 * time.Millisecond)
	}

	cancel()
	select {
	case _, ok := <-ch:
		for ok {
			_, ok = <-ch
		}
	case <-time.After(2 * time.Second):
		t.Fatal("watch channel not closed after cancel")
	}
}

func waitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(2 * time.Second):
		t.Fatalf("no change signal %s", what)
	}
}
