package visualizer

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/client"
)

// benchSwarm is the measured lab: 4 nodes, 5 services, 20 running tasks,
// plus 40 finished ones, as swarm's default task history keeps.
func benchSwarm(now time.Time) *fakeDocker {
	f := &fakeDocker{info: system.Info{Swarm: swarm.Info{ControlAvailable: true, LocalNodeState: swarm.LocalNodeStateActive}}}
	for i := range 4 {
		n := swarm.Node{ID: fmt.Sprintf("node%d", i)}
		n.Spec.Role, n.Spec.Availability = swarm.NodeRoleWorker, swarm.NodeAvailabilityActive
		if i == 0 {
			n.Spec.Role, n.ManagerStatus = swarm.NodeRoleManager, &swarm.ManagerStatus{Leader: true}
		}
		n.Description.Hostname = fmt.Sprintf("node-%d", i)
		n.Description.Engine.EngineVersion = "20.10.24"
		n.Description.Resources = swarm.Resources{NanoCPUs: 2e9, MemoryBytes: 2 << 30}
		n.Status.State = swarm.NodeStateReady
		f.nodes = append(f.nodes, n)
	}
	for i := range 5 {
		replicas := uint64(4)
		s := swarm.Service{ID: fmt.Sprintf("svc%d", i), ServiceStatus: &swarm.ServiceStatus{RunningTasks: 4, DesiredTasks: 4}}
		s.Spec.Name = fmt.Sprintf("service-%d", i)
		s.Spec.Mode.Replicated = &swarm.ReplicatedService{Replicas: &replicas}
		s.Spec.TaskTemplate.ContainerSpec = &swarm.ContainerSpec{Image: "registry:5000/lab/app:1.0@sha256:0123", Env: []string{"A=1", "B=2"}}
		f.services = append(f.services, s)
		for slot := 1; slot <= 4; slot++ {
			for gen := range 3 { // one running task and two finished ones per slot
				t := swarm.Task{
					ID: fmt.Sprintf("t%d-%d-%d", i, slot, gen), ServiceID: s.ID, Slot: slot,
					NodeID: f.nodes[(slot+gen)%4].ID, Spec: s.Spec.TaskTemplate,
					Status:       swarm.TaskStatus{State: swarm.TaskStateRunning, Timestamp: now.Add(-time.Hour)},
					DesiredState: swarm.TaskStateRunning,
				}
				if gen > 0 {
					t.Status.State, t.DesiredState = swarm.TaskStateShutdown, swarm.TaskStateShutdown
					t.Status.Timestamp = now.Add(-time.Duration(gen) * 2 * time.Hour)
				}
				f.tasks = append(f.tasks, t)
			}
		}
	}
	f.networks = []network.Summary{{ID: "ingress", Name: "ingress", Driver: "overlay", Ingress: true}, {ID: "lab", Name: "lab_default", Driver: "overlay"}}
	return f
}

// fakeEngine serves a fakeDocker over the Engine HTTP API, so that the
// benchmark includes what the real client costs: HTTP and JSON decoding.
func fakeEngine(tb testing.TB, f *fakeDocker) *client.Client {
	tb.Helper()
	reply := func(v any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Api-Version", "1.41")
			json.NewEncoder(w).Encode(v)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/_ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		w.Write([]byte("OK"))
	})
	mux.Handle("/v1.41/info", reply(f.info))
	mux.Handle("/v1.41/nodes", reply(f.nodes))
	mux.Handle("/v1.41/services", reply(f.services))
	mux.Handle("/v1.41/tasks", reply(f.tasks))
	mux.Handle("/v1.41/networks", reply(f.networks))
	mux.HandleFunc("/v1.41/events", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		<-r.Context().Done()
	})
	ts := httptest.NewServer(mux)
	tb.Cleanup(ts.Close)
	c, err := client.NewClientWithOpts(client.WithHost("tcp://"+strings.TrimPrefix(ts.URL, "http://")), client.WithAPIVersionNegotiation())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// BenchmarkDockerSnapshot is one read of the swarm through the real Docker
// client: five API calls, decoding and mapping.
func BenchmarkDockerSnapshot(b *testing.B) {
	src := NewDockerSource(fakeEngine(b, benchSwarm(time.Now())), nil)
	ctx := context.Background()
	st, err := src.Snapshot(ctx)
	if err != nil || len(st.Tasks) != 20 || len(st.Nodes) != 4 {
		b.Fatalf("snapshot: %d nodes, %d tasks, %v", len(st.Nodes), len(st.Tasks), err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Snapshot(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// flipSource alternates between two states so every read is a change.
type flipSource struct {
	a, b State
	n    int
}

func (f *flipSource) Snapshot(context.Context) (State, error) {
	f.n++
	if f.n%2 == 0 {
		return f.a, nil
	}
	return f.b, nil
}

func (f *flipSource) Watch(context.Context) <-chan struct{} { return nil }

// benchRefresh measures one poll cycle of the server with 10 browsers
// subscribed: read, encode, compare and, if changed, hand to each browser.
func benchRefresh(b *testing.B, changing bool) {
	now := time.Now()
	d := NewDemo(now)
	a := d.State(now)
	d.SetNode("worker-2", "down", "", now)
	other := d.State(now)
	if !changing {
		other = a
	}
	s, err := New(Config{Source: &flipSource{a: a, b: other}})
	if err != nil {
		b.Fatal(err)
	}
	var subs []chan []byte
	for range 10 {
		subs = append(subs, s.subscribe())
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s.refresh(ctx)
	}
	for _, ch := range subs {
		s.unsubscribe(ch)
	}
}

func BenchmarkRefreshUnchanged(b *testing.B) { benchRefresh(b, false) }
func BenchmarkRefreshChanged(b *testing.B)   { benchRefresh(b, true) }

// TestResourceUsage runs the server as deployed (Docker source over HTTP,
// 500ms resync) for SWARMLAB_BENCH_SECONDS (default 30) with 10 browsers
// connected, and logs CPU and memory. It is a measurement, not a check, so
// it only runs when SWARMLAB_BENCH=1 (bench/visualizer.sh sets it).
func TestResourceUsage(t *testing.T) {
	if os.Getenv("SWARMLAB_BENCH") != "1" {
		t.Skip("set SWARMLAB_BENCH=1 to measure (see bench/visualizer.sh)")
	}
	secs := 30
	fmt.Sscan(os.Getenv("SWARMLAB_BENCH_SECONDS"), &secs)

	api := fakeEngine(t, benchSwarm(time.Now()))
	s, err := New(Config{Source: NewDockerSource(api, nil), Resync: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	defer cancel() // before Close, which waits for the event streams to end
	for range 10 {
		req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/events", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
			}
		}()
	}
	time.Sleep(time.Second) // let start-up settle before measuring
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0, wall0 := cpuTime(), time.Now()
	time.Sleep(time.Duration(secs) * time.Second)
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("4 nodes, 20 tasks (+40 history), 10 browsers, 500ms resync, %s:", wall.Round(time.Second))
	t.Logf("  CPU: %.2f%% of one core (%s CPU), including the in-process fake engine and browsers", 100*cpu.Seconds()/wall.Seconds(), cpu.Round(time.Millisecond))
	t.Logf("  heap in use after GC: %.1f MiB; Go runtime total (Sys): %.1f MiB; RSS: %s; goroutines: %d",
		float64(after.HeapInuse)/(1<<20), float64(after.Sys)/(1<<20), rss(), runtime.NumGoroutine())
	alloc := float64(ms.TotalAlloc - before.TotalAlloc)
	t.Logf("  allocated during the run: %.1f MiB (%.0f KiB/s)", alloc/(1<<20), alloc/1024/wall.Seconds())
}

func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}
