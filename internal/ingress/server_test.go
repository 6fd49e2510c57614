package ingress

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/lb/lbtest"
)

// fakeAPI is an engine holding services and tasks that tests change.
type fakeAPI struct {
	mu       sync.Mutex
	services []swarm.Service
	tasks    []swarm.Task
	events   chan events.Message
	lists    atomic.Int32
}

func (f *fakeAPI) ServiceList(context.Context, swarm.ServiceListOptions) ([]swarm.Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists.Add(1)
	return append([]swarm.Service(nil), f.services...), nil
}

func (f *fakeAPI) TaskList(context.Context, swarm.TaskListOptions) ([]swarm.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]swarm.Task(nil), f.tasks...), nil
}

func (f *fakeAPI) ContainerInspect(_ context.Context, id string) (container.InspectResponse, error) {
	return container.InspectResponse{NetworkSettings: &container.NetworkSettings{Networks: map[string]*network.EndpointSettings{
		"swtest_net": {NetworkID: "net1"}, "ingress": {NetworkID: "ingress-id"},
	}}}, nil
}

func (f *fakeAPI) Events(ctx context.Context, _ events.ListOptions) (<-chan events.Message, <-chan error) {
	return f.events, make(chan error)
}

var _ DockerAPI = (*fakeAPI)(nil)

func service(id, name string, env ...string) swarm.Service {
	s := swarm.Service{ID: id}
	s.Spec.Name = name
	s.Spec.TaskTemplate.ContainerSpec = &swarm.ContainerSpec{Env: env}
	s.Spec.TaskTemplate.Networks = []swarm.NetworkAttachmentConfig{{Target: "net1"}}
	return s
}

func task(serviceID, ip, netID string) swarm.Task {
	t := swarm.Task{ServiceID: serviceID, DesiredState: swarm.TaskStateRunning}
	t.Status.State = swarm.TaskStateRunning
	t.NetworksAttachments = []swarm.NetworkAttachment{{Network: swarm.Network{ID: netID}, Addresses: []string{ip + "/8"}}}
	return t
}

// backendsOn starts one backend per loopback IP on one shared port (as
// swarm tasks do) and returns the port.
func backendsOn(t *testing.T, ips ...string) int {
	t.Helper()
	for attempt := 0; attempt < 20; attempt++ {
		var lns []net.Listener
		port := "0"
		for _, ip := range ips {
			ln, err := net.Listen("tcp", net.JoinHostPort(ip, port))
			if err != nil {
				break
			}
			lns = append(lns, ln)
			_, port, _ = net.SplitHostPort(ln.Addr().String())
		}
		if len(lns) != len(ips) {
			for _, ln := range lns {
				ln.Close()
			}
			continue
		}
		for i, ln := range lns {
			name := ips[i]
			s := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, name)
			})}}
			s.Start()
			t.Cleanup(s.Close)
		}
		var p int
		fmt.Sscan(port, &p)
		return p
	}
	t.Fatal("no common free port")
	return 0
}

func newServer(t *testing.T, cfg Config, api DockerAPI) (*Server, string, string) {
	t.Helper()
	s, err := New(cfg, nil, nil, api)
	if err != nil {
		t.Fatal(err)
	}
	s.disc.Hostname = "self0000"
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	sln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, sln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return s, "http://" + ln.Addr().String(), "http://" + sln.Addr().String()
}

func getHost(t *testing.T, url, host string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDiscoveryRoutesAndScale(t *testing.T) {
	t.Parallel()
	ips := []string{"127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14", "127.0.0.15", "127.0.0.16"}
	port := backendsOn(t, ips...)
	api := &fakeAPI{events: make(chan events.Message)}
	self := task("ingress-svc", "127.0.0.99", "net1")
	self.Status.ContainerStatus = &swarm.ContainerStatus{ContainerID: "self0000abcdef"}
	api.services = []swarm.Service{
		service("web-id", "swtest_web", fmt.Sprintf("SERVICE_PORTS=%d", port), "VIRTUAL_HOST=web.local"),
		service("bad-id", "swtest_bad", "SERVICE_PORTS=80", "BALANCE=random"),
		service("ingress-svc", "swtest_ingress", "SERVICE_PORTS=80"),
		service("other-id", "other_net", fmt.Sprintf("SERVICE_PORTS=%d", port)),
	}
	api.services[3].Spec.TaskTemplate.Networks[0].Target = "net2"
	api.services = append(api.services, service("zero-id", "scaled_to_zero", "SERVICE_PORTS=80", "VIRTUAL_HOST=zero.local"))
	setTasks := func(n int) {
		api.mu.Lock()
		defer api.mu.Unlock()
		api.tasks = []swarm.Task{self, task("other-id", "127.0.0.16", "net2"), task("bad-id", "127.0.0.15", "net1")}
		for _, ip := range ips[:n] {
			api.tasks = append(api.tasks, task("web-id", ip, "net1"))
		}
	}
	setTasks(3)
	cfg := Defaults()
	s, url, _ := newServer(t, cfg, api)
	waitFor(t, 3*time.Second, func() bool { return len(s.Table().Backends) == 2 })
	if b := s.Table().Backends[1]; b.Service != "swtest_web" || len(b.Pool.Upstreams()) != 3 {
		t.Fatalf("backends %+v", b)
	}
	if code, _ := getHost(t, url, "zero.local"); code != 503 {
		t.Errorf("service scaled to 0: %d, want 503", code)
	}
	if code, _ := getHost(t, url, "unknown.local"); code != 404 {
		t.Errorf("unknown host: %d (a service on another network or a bad one must not be a default route)", code)
	}

	setTasks(6)
	start := time.Now()
	waitFor(t, 3*time.Second, func() bool {
		seen := map[string]bool{}
		for i := 0; i < 12; i++ {
			code, body := getHost(t, url, "web.local")
			if code != 200 {
				t.Fatalf("status %d during scale-up", code)
			}
			seen[body] = true
		}
		return len(seen) == 6
	})
	t.Logf("6 tasks served %v after scaling", time.Since(start).Round(time.Millisecond))
}

func TestEventsTriggerResync(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{events: make(chan events.Message)}
	cfg := Defaults()
	cfg.ResyncInterval = time.Hour
	newServer(t, cfg, api)
	waitFor(t, time.Second, func() bool { return api.lists.Load() == 1 })
	api.events <- events.Message{Type: events.ServiceEventType}
	waitFor(t, time.Second, func() bool { return api.lists.Load() == 2 })
}

func TestStaticModeStatsAndErrors(t *testing.T) {
	t.Parallel()
	port := backendsOn(t, "127.0.0.1")
	cfg := Defaults()
	cfg.StaticBackends = []string{fmt.Sprintf("127.0.0.1:%d", port)}
	cfg.StatsAuth = "admin:secret"
	s, url, stats := newServer(t, cfg, nil)
	if code, body := getHost(t, url, "any.host"); code != 200 || body != "127.0.0.1" {
		t.Fatalf("static: %d %q", code, body)
	}

	for path, wantCT := range map[string]string{"/": "text/html", "/stats.json": "application/json", "/metrics": "text/plain"} {
		resp, err := http.Get(stats + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%s without credentials: %d", path, resp.StatusCode)
		}
		req, _ := http.NewRequest("GET", stats+path, nil)
		req.SetBasicAuth("admin", "wrong")
		if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 401 {
			t.Errorf("%s wrong password: %d", path, resp.StatusCode)
		}
		req.SetBasicAuth("admin", "secret")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), wantCT) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		switch path {
		case "/stats.json":
			var snap StatsSnapshot
			if err := json.Unmarshal(body, &snap); err != nil || len(snap.Backends) != 1 || snap.Backends[0].Upstreams[0].Requests != 1 {
				t.Errorf("stats.json: %v %s", err, body)
			}
		case "/metrics":
			if !strings.Contains(string(body), `swarmlab_ingress_upstream_requests_total{port="0",service="static",upstream="127.0.0.1:`) {
				t.Errorf("metrics lack the upstream counter:\n%s", body)
			}
		}
	}

	// No available backend: 503 with a short body.
	for _, u := range s.Table().Backends[0].Pool.Upstreams() {
		u.SetHealthy(false)
	}
	if code, body := getHost(t, url, "x"); code != 503 || len(body) > 100 {
		t.Errorf("no backend: %d %q", code, body)
	}
}

// Many clients while tables are swapped: zero failures.
func TestConfigSwapUnderLoad(t *testing.T) {
	t.Parallel()
	ips := []string{"127.0.0.21", "127.0.0.22", "127.0.0.23", "127.0.0.24"}
	port := backendsOn(t, ips...)
	api := &fakeAPI{events: make(chan events.Message)}
	cfg := Defaults()
	cfg.ResyncInterval = time.Hour
	s, url, _ := newServer(t, cfg, api)
	svc := func(i int) []Service {
		eps := []string{}
		for _, ip := range ips[i%3 : i%3+2] {
			eps = append(eps, fmt.Sprintf("%s:%d", ip, port))
		}
		st := Settings{Ports: []int{port}, Balance: []string{"roundrobin", "leastconn"}[i%2],
			VirtualHosts: []HostPattern{{Scheme: "http", Host: "web.local"}, {Scheme: "http", Host: fmt.Sprintf("v%d.local", i)}}}
		return []Service{{ID: "web", Name: "web", Settings: st, Endpoints: map[int][]string{port: eps}}}
	}
	waitFor(t, time.Second, func() bool { return api.lists.Load() == 1 && s.swaps.Load() == 1 }) // the first sync is done
	s.Apply(svc(0))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	send := func() (*http.Response, error) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Host = "web.local"
		return client.Do(req)
	}
	okN, failN := lbtest.UnderLoad(t, 16, send, func(string) bool { return true }, func() {
		for i := 1; i <= 300; i++ {
			s.Apply(svc(i))
			time.Sleep(time.Millisecond)
		}
	})
	if failN != 0 || okN < 100 {
		t.Fatalf("%d failed, %d ok", failN, okN)
	}
	t.Logf("%d requests, 300 swaps, 0 failures", okN)
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHealthCheckFromSettings(t *testing.T) {
	t.Parallel()
	mk := func(name string, healthy bool) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/health" && !healthy {
				w.WriteHeader(500)
				return
			}
			io.WriteString(w, name)
		}))
		t.Cleanup(s.Close)
		return strings.TrimPrefix(s.URL, "http://")
	}
	good, sick := mk("good", true), mk("sick", false)
	st, err := ParseSettings([]string{"SERVICE_PORTS=80", "HEALTH_CHECK=check inter 50 rise 1 fall 2 timeout 2s path /health"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	api := &fakeAPI{events: make(chan events.Message)}
	cfg := Defaults()
	cfg.ResyncInterval = time.Hour
	s, url, _ := newServer(t, cfg, api)
	waitFor(t, time.Second, func() bool { return s.swaps.Load() == 1 })
	s.Apply([]Service{{ID: "w", Name: "web", Settings: st, Endpoints: map[int][]string{80: {good, sick}}}})
	waitFor(t, 2*time.Second, func() bool { return s.Stats().Backends[0].Upstreams[1].Status == "down" })
	for i := 0; i < 6; i++ {
		if code, body := getHost(t, url, "x"); code != 200 || body != "good" {
			t.Fatalf("request %d went to %q (%d)", i, body, code)
		}
	}
}
