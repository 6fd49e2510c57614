package chaos

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/probe"
)

// A small swarm for the watcher: a manager, two workers, and swtest_api
// with one task on each worker.
func swarmNode(id, host string, state swarm.NodeState, avail swarm.NodeAvailability, leader bool) swarm.Node {
	n := swarm.Node{ID: id, Description: swarm.NodeDescription{Hostname: host}, Status: swarm.NodeStatus{State: state}}
	n.Spec.Availability = avail
	if leader || host == "manager" {
		n.ManagerStatus = &swarm.ManagerStatus{Leader: leader}
	}
	return n
}

func task(id, node string, slot int, created time.Time, desired, state swarm.TaskState) swarm.Task {
	return swarm.Task{ID: id, ServiceID: "s1", NodeID: node, Slot: slot, Meta: swarm.Meta{CreatedAt: created},
		DesiredState: desired, Status: swarm.TaskStatus{State: state}}
}

func service(replicas uint64, update *swarm.UpdateStatus) swarm.Service {
	s := swarm.Service{ID: "s1", UpdateStatus: update}
	s.Spec.Name = "swtest_api"
	s.Spec.Mode.Replicated = &swarm.ReplicatedService{Replicas: &replicas}
	return s
}

const run, stop = swarm.TaskStateRunning, swarm.TaskStateShutdown

type watched struct {
	w      *watcher
	f      *Failover
	events []string
	t0     time.Time
}

func watch(o Options, nodeID string, before swarmView) *watched {
	x := &watched{f: &Failover{Scenario: o.Scenario, Node: o.Node}, t0: time.Now()}
	tl := &timeline{t0: x.t0, report: func(e Event) { x.events = append(x.events, e.What) }}
	x.w = newWatcher(o, nodeID, "s1", x.t0, before, x.f, tl)
	return x
}

func (x *watched) step(t *testing.T, v swarmView, after time.Duration, wantDone bool, wantEvents ...string) {
	t.Helper()
	x.events = nil
	done, err := x.w.observe(v, x.t0.Add(after))
	if err != nil || done != wantDone || strings.Join(x.events, "|") != strings.Join(wantEvents, "|") {
		t.Fatalf("after %s: done %v, err %v, events %q; want done %v, events %q", after, done, err, x.events, wantDone, wantEvents)
	}
}

func TestWatcherKill(t *testing.T) {
	old := time.Now().Add(-time.Hour)
	nodes := func(w1 swarm.NodeState) []swarm.Node {
		return []swarm.Node{swarmNode("m", "manager", swarm.NodeStateReady, "active", true), swarmNode("w1", "worker01", w1, "active", false), swarmNode("w2", "worker02", swarm.NodeStateReady, "active", false)}
	}
	before := swarmView{nodes: nodes(swarm.NodeStateReady), svcs: []swarm.Service{service(2, nil)},
		tasks: []swarm.Task{task("a", "w1", 1, old, run, run), task("b", "w2", 2, old, run, run)}}
	x := watch(Options{Scenario: ScenarioKill, Node: "worker01"}, "w1", before)
	x.step(t, before, time.Second, false)

	down := before
	down.nodes = nodes(swarm.NodeStateDown)
	x.step(t, down, 5*time.Second, false, "manager recorded worker01 Down")

	// The task on worker01 is no longer meant to run, and its replacement
	// runs on worker02: the swarm has converged.
	healed := down
	healed.tasks = []swarm.Task{task("a", "w1", 1, old, stop, run), task("b", "w2", 2, old, run, run), task("c", "w2", 1, x.t0.Add(5*time.Second), run, run)}
	x.step(t, healed, 6*time.Second, true, "task swtest_api.1 running on worker02", "every service back at its desired replicas")
	if x.f.NodeDown != 5*time.Second || x.f.Restored != 6*time.Second || x.f.Rescheduled != 1 {
		t.Errorf("failover = %+v", x.f)
	}
}

func TestWatcherLeader(t *testing.T) {
	old := time.Now().Add(-time.Hour)
	m2 := swarmNode("m2", "manager2", swarm.NodeStateReady, "active", false)
	m2.ManagerStatus = &swarm.ManagerStatus{}
	before := swarmView{nodes: []swarm.Node{swarmNode("m", "manager", swarm.NodeStateReady, "active", true), m2}, svcs: []swarm.Service{service(1, nil)},
		tasks: []swarm.Task{task("a", "m2", 1, old, run, run)}}
	x := watch(Options{Scenario: ScenarioStop, Node: "manager", Leader: true}, "m", before)
	x.f.WasLeader = true
	after := swarmView{nodes: []swarm.Node{swarmNode("m", "manager", swarm.NodeStateDown, "active", false), swarmNode("m2", "manager2", swarm.NodeStateReady, "active", true)},
		svcs: before.svcs, tasks: before.tasks}
	x.step(t, after, 3*time.Second, true, "manager recorded manager Down", "manager2 elected Leader", "every service back at its desired replicas")
	if x.f.NewLeader != "manager2" {
		t.Errorf("new leader = %q", x.f.NewLeader)
	}
}

func TestWatcherDrain(t *testing.T) {
	old := time.Now().Add(-time.Hour)
	nodes := func(avail swarm.NodeAvailability) []swarm.Node {
		return []swarm.Node{swarmNode("m", "manager", swarm.NodeStateReady, "active", true), swarmNode("w1", "worker01", swarm.NodeStateReady, avail, false), swarmNode("w2", "worker02", swarm.NodeStateReady, "active", false)}
	}
	before := swarmView{nodes: nodes("active"), svcs: []swarm.Service{service(2, nil)},
		tasks: []swarm.Task{task("a", "w1", 1, old, run, run), task("b", "w2", 2, old, run, run)}}
	x := watch(Options{Scenario: ScenarioDrain, Node: "worker01"}, "w1", before)
	moved := swarmView{nodes: nodes("drain"), svcs: before.svcs,
		tasks: []swarm.Task{task("a", "w1", 1, old, stop, stop), task("b", "w2", 2, old, run, run), task("c", "w2", 1, x.t0.Add(time.Second), run, run)}}
	x.step(t, moved, 2*time.Second, true, "task swtest_api.1 on worker01 stopped (shutdown)", "task swtest_api.1 running on worker02", "every service back at its desired replicas")
}

func TestWatcherUpdate(t *testing.T) {
	old := time.Now().Add(-time.Hour)
	nodes := []swarm.Node{swarmNode("m", "manager", swarm.NodeStateReady, "active", true), swarmNode("w1", "worker01", swarm.NodeStateReady, "active", false)}
	before := swarmView{nodes: nodes, svcs: []swarm.Service{service(1, nil)}, tasks: []swarm.Task{task("a", "w1", 1, old, run, run)}}
	x := watch(Options{Scenario: ScenarioUpdate, Service: "swtest_api"}, "", before)
	started := x.t0.Add(100 * time.Millisecond)
	updating := swarmView{nodes: nodes, svcs: []swarm.Service{service(1, &swarm.UpdateStatus{State: swarm.UpdateStateUpdating, StartedAt: &started})},
		tasks: []swarm.Task{task("a", "w1", 1, old, stop, run)}}
	// stop-first: the old task is not meant to run any more, nothing runs.
	x.step(t, updating, time.Second, false)
	done := swarmView{nodes: nodes, svcs: []swarm.Service{service(1, &swarm.UpdateStatus{State: swarm.UpdateStateCompleted, StartedAt: &started})},
		tasks: []swarm.Task{task("a", "w1", 1, old, stop, stop), task("b", "w1", 1, x.t0.Add(2*time.Second), run, run)}}
	x.step(t, done, 3*time.Second, true, "task swtest_api.1 on worker01 stopped (shutdown)", "task swtest_api.1 running on worker01",
		"swarm reports the update of swtest_api completed", "every service back at its desired replicas")

	// An update that swarm paused will not converge.
	y := watch(Options{Scenario: ScenarioUpdate, Service: "swtest_api"}, "", before)
	paused := updating
	paused.svcs = []swarm.Service{service(1, &swarm.UpdateStatus{State: swarm.UpdateStatePaused, StartedAt: &started, Message: "update paused due to failure"})}
	if _, err := y.w.observe(paused, y.t0.Add(time.Second)); err == nil || !strings.Contains(err.Error(), "update paused due to failure") {
		t.Errorf("paused update: %v", err)
	}
}

func TestResolveTarget(t *testing.T) {
	one := uint64(1)
	api := service(1, nil)
	api.Spec.UpdateConfig = &swarm.UpdateConfig{Parallelism: 2, Delay: time.Second, Order: "start-first"}
	nginx := swarm.Service{ID: "s2"}
	nginx.Spec.Name, nginx.Spec.Mode.Replicated = "swtest_nginx", &swarm.ReplicatedService{Replicas: &one}
	v := swarmView{nodes: []swarm.Node{swarmNode("m", "manager", swarm.NodeStateReady, "active", true), swarmNode("w1", "worker01", swarm.NodeStateReady, "drain", false),
		swarmNode("w2", "worker02", swarm.NodeStateDown, "active", false)}, svcs: []swarm.Service{nginx, api}}

	var f Failover
	if _, id, err := resolveTarget(lab.Defaults(), Options{Scenario: ScenarioUpdate, Service: "api", Order: "stop-first"}, v, &f); err != nil || id != "s1" || f.Service != "swtest_api" {
		t.Fatalf("update api: %q %v %+v", id, err, f)
	}
	if want := (UpdatePolicy{Order: "stop-first", Parallelism: 2, Delay: time.Second, Monitor: 5 * time.Second, FailureAction: "pause"}); *f.Update != want {
		t.Errorf("policy = %+v, want %+v", *f.Update, want)
	}
	if id, _, err := resolveTarget(lab.Defaults(), Options{Scenario: ScenarioStop, Node: "manager"}, v, &f); err != nil || id != "m" || !f.WasLeader {
		t.Errorf("stop manager: %q %v leader %v", id, err, f.WasLeader)
	}
	for _, tt := range []struct {
		o    Options
		want string
	}{
		{Options{Scenario: ScenarioUpdate, Service: "web"}, "services are: swtest_api, swtest_nginx"},
		{Options{Scenario: ScenarioDrain, Node: "worker01"}, "--availability active worker01"},
		{Options{Scenario: ScenarioKill, Node: "worker02"}, "swarmlab status"},
	} {
		if _, _, err := resolveTarget(lab.Defaults(), tt.o, v, &Failover{}); err == nil || !strings.Contains(cli.HintOf(err), tt.want) {
			t.Errorf("%+v: %v, hint %q; want a hint with %q", tt.o, err, cli.HintOf(err), tt.want)
		}
	}
}

func TestPhases(t *testing.T) {
	t0 := time.Now()
	at := func(d time.Duration, took time.Duration, err string) probe.Sample {
		return probe.Sample{Start: t0.Add(d), Took: took, Err: err}
	}
	samples := []probe.Sample{at(-2*time.Second, time.Millisecond, ""), at(-time.Second, 3*time.Millisecond, "status 502"),
		at(0, 2*time.Millisecond, ""), at(time.Second, 300*time.Millisecond, ""), at(4*time.Second, 4*time.Millisecond, ""),
		at(4*time.Second+time.Millisecond, 5*time.Millisecond, "")}
	b, d, a := phases(samples, t0, -3*time.Second, 4*time.Second, 7*time.Second)
	if b != (Phase{From: -3 * time.Second, Requests: 2, Failed: 1, P50: time.Millisecond, P99: 3 * time.Millisecond, Max: 3 * time.Millisecond}) {
		t.Errorf("before = %+v", b)
	}
	if d != (Phase{To: 4 * time.Second, Requests: 3, P50: 4 * time.Millisecond, P99: 300 * time.Millisecond, Max: 300 * time.Millisecond}) {
		t.Errorf("during = %+v", d)
	}
	if a.Requests != 1 || a.From != 4*time.Second || a.To != 7*time.Second || a.Max != 5*time.Millisecond {
		t.Errorf("after = %+v", a)
	}
	var out bytes.Buffer
	Failover{Loop: Loop{URL: "http://x", Timeout: time.Second, Before: b, During: d, After: a}}.WriteTable(&out)
	if !strings.Contains(out.String(), "  during   +0.0s  +4.0s         3       0    4.0ms    300ms    300ms") {
		t.Errorf("table:\n%s", out.String())
	}
}

// TestRequestLines: a slow or failed request gets a timeline line at the
// time it ended, saying when it was sent, so that lines printed as
// requests end stay in order; the lines are capped.
func TestRequestLines(t *testing.T) {
	t0 := time.Now()
	type line struct {
		at   time.Duration
		what string
	}
	var got []line
	r := &requestLoop{t0: t0, line: func(at time.Time, s string) { got = append(got, line{at.Sub(t0), s}) }}
	r.add(probe.Sample{Start: t0.Add(100 * time.Millisecond), Took: 339 * time.Millisecond})
	r.add(probe.Sample{Start: t0.Add(200 * time.Millisecond), Took: 2 * time.Millisecond}) // fast: no line
	r.add(probe.Sample{Start: t0.Add(-500 * time.Millisecond), Took: time.Second, Err: "timeout"})
	want := []line{{439 * time.Millisecond, "request sent at +0.1s took 339ms"},
		{500 * time.Millisecond, "request sent at -0.5s failed after 1.00s: timeout"}}
	if !slices.Equal(got, want) {
		t.Errorf("lines = %v, want %v", got, want)
	}
	for i := 0; i < 2*requestLines; i++ {
		r.add(probe.Sample{Start: t0, Took: time.Second})
	}
	if len(got) != requestLines || got[len(got)-1].what != "more slow or failed requests: see the table" || len(r.samples) != 3+2*requestLines {
		t.Errorf("%d lines, the last %q, %d samples", len(got), got[len(got)-1].what, len(r.samples))
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{Scenario: ScenarioStop}, {Scenario: ScenarioDrain, Leader: true, Node: "x"}, {Scenario: ScenarioUpdate},
		{Scenario: ScenarioKill, Node: "x", Order: "start-first"}, {Scenario: "explode", Node: "x"},
	} {
		if o.Validate(lab.Defaults()) == nil {
			t.Errorf("%+v: want an error", o)
		}
	}
}

// slowManager answers NodeList after delay(call) (call counts from 1; a
// negative delay: not until the read is cut short), and counts how many
// reads overlap and how many were cut short.
type slowManager struct {
	docker.Swarm
	delay                        func(call int) time.Duration
	mu                           sync.Mutex
	calls, inFlight, maxFly, cut int
}

func (m *slowManager) NodeList(ctx context.Context, _ swarm.NodeListOptions) ([]swarm.Node, error) {
	m.mu.Lock()
	m.calls++
	call := m.calls
	m.inFlight++
	m.maxFly = max(m.maxFly, m.inFlight)
	m.mu.Unlock()
	defer func() { m.mu.Lock(); m.inFlight--; m.mu.Unlock() }()
	var wait <-chan time.Time // nil: until cut
	if d := m.delay(call); d >= 0 {
		wait = time.After(d)
	}
	select {
	case <-wait:
	case <-ctx.Done():
		m.mu.Lock()
		m.cut++
		m.mu.Unlock()
		return nil, ctx.Err()
	}
	return []swarm.Node{swarmNode("n1", "manager", swarm.NodeStateReady, swarm.NodeAvailabilityActive, true)}, nil
}

func (m *slowManager) ServiceList(context.Context, swarm.ServiceListOptions) ([]swarm.Service, error) {
	return nil, nil
}

func (m *slowManager) TaskList(context.Context, swarm.TaskListOptions) ([]swarm.Task, error) {
	return nil, nil
}

// readN takes n answered reads from readEvery and returns the manager's
// counts as they were then: calls, most reads at once, reads cut short.
func readN(t *testing.T, m *slowManager, n int, minCut time.Duration) (calls, maxFly, cut int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	views := readEvery(ctx, m, 5*time.Millisecond, minCut)
	for got := 0; got < n; {
		select {
		case r := <-views:
			if r.err == nil {
				if len(r.v.nodes) != 1 {
					t.Fatalf("read: %+v", r)
				}
				got++
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d reads answered in 10 s", got, n)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls, m.maxFly, m.cut
}

// On a machine where every read is slow, reads are neither cut short nor
// overlapped: on a node each new connection is an exec.
func TestReadEveryLeavesSlowReads(t *testing.T) {
	m := &slowManager{delay: func(int) time.Duration { return 150 * time.Millisecond }}
	calls, maxFly, cut := readN(t, m, 3, 50*time.Millisecond)
	if cut != 0 || maxFly != 1 || calls < 3 {
		t.Fatalf("reads cut short %d, at most %d at once, %d calls; want 0, 1, ≥ 3", cut, maxFly, calls)
	}
}

// A read that hangs where reads were fast (a manager still waiting on a
// stopped Leader) is cut short, and the next one answers.
func TestReadEveryCutsAHungRead(t *testing.T) {
	m := &slowManager{delay: func(call int) time.Duration {
		if call == 3 {
			return -1
		}
		return time.Millisecond
	}}
	calls, maxFly, cut := readN(t, m, 4, 50*time.Millisecond)
	if cut != 1 || maxFly != 1 || calls < 5 {
		t.Fatalf("reads cut short %d, at most %d at once, %d calls; want 1, 1, ≥ 5", cut, maxFly, calls)
	}
}
