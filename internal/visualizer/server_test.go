package visualizer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func startServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.Resync == 0 {
		cfg.Resync = 50 * time.Millisecond
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		cancel()
		ts.CloseClientConnections()
		ts.Close()
		<-done
	})
	return s, ts
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func demoState() State { return NewDemo(time.Now()).State(time.Now()) }

func TestStateEndpoint(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, Config{Source: NewMemorySource(demoState())})
	code, h, body := get(t, ts.URL+"/api/state")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/state = %d %s", code, h.Get("Content-Type"))
	}
	var st State
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Nodes) != 4 || len(st.Tasks) != 20 || st.Error != "" || st.Time.IsZero() {
		t.Errorf("state: %d nodes, %d tasks, error %q, time %v; want 4, 20, none, set", len(st.Nodes), len(st.Tasks), st.Error, st.Time)
	}
}

// /api/state must serve what a Docker source maps, and only that: no
// container environment (or other spec field) may pass through the server.
func TestStateEndpointFromDockerHasNoEnv(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, Config{Source: NewDockerSource(labSwarm(time.Now()), nil)})
	code, _, body := get(t, ts.URL+"/api/state")
	if code != 200 || !strings.Contains(body, `"hostname":"worker-1"`) {
		t.Fatalf("GET /api/state = %d %s", code, body)
	}
	for _, s := range []string{"hunter2", "DB_PASSWORD", "Env", "Mounts", "Secrets", "Configs"} {
		if strings.Contains(body, s) {
			t.Errorf("/api/state contains %q", s)
		}
	}
}

func TestBasePath(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, Config{Source: NewMemorySource(demoState()), BasePath: "viz/"})
	for _, tc := range []struct {
		path string
		code int
		has  string
	}{
		{"/viz/", 200, `href="/viz/static/app.css"`},
		{"/viz/", 200, `src="/viz/static/app.js"`},
		{"/viz/", 200, `data-base="/viz"`},
		{"/viz/static/app.js", 200, "EventSource"},
		{"/viz/static/app.css", 200, ".node"},
		{"/viz/static/favicon.svg", 200, "<svg"},
		{"/viz/api/state", 200, `"nodes"`},
		{"/viz/healthz", 200, "ok"},
		{"/healthz", 200, "ok"}, // for container health checks
		{"/", 404, ""},
		{"/api/state", 404, ""},
		{"/api/events", 404, ""},
		{"/static/app.js", 404, ""},
		{"/viz/nope", 404, ""},
		{"/vizz/", 404, ""},
	} {
		code, _, body := get(t, ts.URL+tc.path)
		if code != tc.code || !strings.Contains(body, tc.has) {
			t.Errorf("GET %s = %d (body has %q: %v), want %d", tc.path, code, tc.has, strings.Contains(body, tc.has), tc.code)
		}
	}
	// /viz without the slash goes to the page, not to a 404.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(ts.URL + "/viz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/viz/" {
		t.Errorf("GET /viz = %d to %q, want 301 to /viz/", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestRootPath(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, Config{Source: NewMemorySource(demoState())})
	code, h, body := get(t, ts.URL+"/")
	if code != 200 || !strings.Contains(body, `src="/static/app.js"`) || !strings.Contains(body, `data-base=""`) {
		t.Errorf("GET / = %d:\n%s", code, body)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
}

// sseReader reads events from a stream.
type sseReader struct{ r *bufio.Reader }

func (s sseReader) next() (event, data string, err error) {
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return "", "", err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && event != "":
			return event, data, nil
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		}
	}
}

func openEvents(t *testing.T, url string) sseReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return sseReader{bufio.NewReader(resp.Body)}
}

// nextState skips pings until a state event whose JSON satisfies ok.
func nextState(t *testing.T, r sseReader, ok func(State) bool) State {
	t.Helper()
	deadline := time.AfterFunc(5*time.Second, func() { t.Error("timed out waiting for a state event") })
	defer deadline.Stop()
	for {
		ev, data, err := r.next()
		if err != nil {
			t.Fatalf("event stream ended: %v", err)
		}
		if ev != "state" {
			continue
		}
		var st State
		if err := json.Unmarshal([]byte(data), &st); err != nil {
			t.Fatalf("bad state event %q: %v", data, err)
		}
		if ok(st) {
			return st
		}
	}
}

func TestEventsPushChanges(t *testing.T) {
	t.Parallel()
	src := NewMemorySource(demoState())
	// A long resync: the update must come from the source's change signal.
	_, ts := startServer(t, Config{Source: src, Resync: time.Second, Heartbeat: 50 * time.Millisecond})
	r := openEvents(t, ts.URL+"/api/events")

	ev, data, err := r.next()
	if err != nil || ev != "hello" || !strings.Contains(data, `"heartbeatMs":50`) {
		t.Fatalf("first event = %q %q %v, want hello", ev, data, err)
	}
	nextState(t, r, func(st State) bool { return len(st.Nodes) == 4 })

	now := time.Now()
	d := NewDemo(now)
	if err := d.SetNode("worker-2", "down", "", now); err != nil {
		t.Fatal(err)
	}
	src.Set(d.State(now))
	st := nextState(t, r, func(st State) bool { return true })
	for _, n := range st.Nodes {
		if n.Hostname == "worker-2" && n.Status != "down" {
			t.Errorf("worker-2 status = %q after it went down", n.Status)
		}
	}
	// Pings keep flowing while nothing changes.
	for i := 0; ; i++ {
		ev, _, err := r.next()
		if err != nil {
			t.Fatal(err)
		}
		if ev == "ping" {
			break
		}
		if i > 10 {
			t.Fatal("no ping")
		}
	}
}

// A state is only pushed when it changed: the resync alone must not make
// every browser redraw every second.
func TestEventsOnlyOnChange(t *testing.T) {
	t.Parallel()
	src := &countingSource{Source: NewMemorySource(demoState())}
	_, ts := startServer(t, Config{Source: src, Resync: 10 * time.Millisecond, Heartbeat: time.Hour})
	r := openEvents(t, ts.URL+"/api/events")
	states := make(chan string, 100)
	go func() {
		for {
			ev, _, err := r.next()
			if err != nil {
				return
			}
			states <- ev
		}
	}()
	time.Sleep(300 * time.Millisecond)
	if n := src.calls.Load(); n < 10 {
		t.Fatalf("only %d reads in 300ms with a 10ms resync", n)
	}
	if n := len(states); n != 2 { // hello + the first state
		t.Errorf("%d events for an unchanged swarm, want 2 (hello, state)", n)
	}
}

type countingSource struct {
	Source
	calls atomic.Int64
}

func (c *countingSource) Snapshot(ctx context.Context) (State, error) {
	c.calls.Add(1)
	return c.Source.Snapshot(ctx)
}

// One poller serves every browser: ten streams must not mean ten times the
// reads of the swarm.
func TestOnePollerForAllClients(t *testing.T) {
	t.Parallel()
	measure := func(clients int) int64 {
		src := &countingSource{Source: NewMemorySource(demoState())}
		_, ts := startServer(t, Config{Source: src, Resync: 20 * time.Millisecond, Heartbeat: time.Hour})
		for range clients {
			openEvents(t, ts.URL+"/api/events")
		}
		src.calls.Store(0)
		time.Sleep(400 * time.Millisecond)
		return src.calls.Load()
	}
	one, ten := measure(1), measure(10)
	if one == 0 || ten > 2*one+5 {
		t.Errorf("reads in 400ms: %d with one browser, %d with ten; want about the same", one, ten)
	}
}

// Nobody watching: the poller idles instead of reading Docker every second.
func TestIdleWithoutClients(t *testing.T) {
	t.Parallel()
	src := &countingSource{Source: NewMemorySource(demoState())}
	startServer(t, Config{Source: src, Resync: 10 * time.Millisecond})
	time.Sleep(50 * time.Millisecond)
	before := src.calls.Load()
	time.Sleep(200 * time.Millisecond)
	if n := src.calls.Load() - before; n > 0 {
		t.Errorf("%d reads with no browser connected, want 0", n)
	}
}

func TestDockerUnreachable(t *testing.T) {
	t.Parallel()
	src := NewMemorySource(demoState())
	_, ts := startServer(t, Config{Source: src, Resync: 20 * time.Millisecond, Heartbeat: time.Hour})
	r := openEvents(t, ts.URL+"/api/events")
	nextState(t, r, func(st State) bool { return len(st.Nodes) == 4 })

	src.SetError(errors.New("Docker is unreachable: connection refused"))
	st := nextState(t, r, func(st State) bool { return st.Error != "" })
	if !strings.Contains(st.Error, "connection refused") {
		t.Errorf("error = %q", st.Error)
	}
	if len(st.Nodes) != 4 {
		t.Errorf("%d nodes while Docker is away, want the last known 4", len(st.Nodes))
	}
	code, _, body := get(t, ts.URL+"/api/state")
	if code != 200 || !strings.Contains(body, "connection refused") {
		t.Errorf("GET /api/state while Docker is away = %d %s", code, body)
	}
	if _, _, body := get(t, ts.URL+"/healthz"); !strings.Contains(body, "ok") {
		t.Errorf("/healthz = %q, want ok: restarting would not bring Docker back", body)
	}

	src.SetError(nil)
	nextState(t, r, func(st State) bool { return st.Error == "" && len(st.Nodes) == 4 })
}

// A first read that fails still answers with the error, not an empty page.
func TestDockerUnreachableFromStart(t *testing.T) {
	t.Parallel()
	src := NewMemorySource(State{})
	src.SetError(errors.New("Docker is unreachable: no such file"))
	_, ts := startServer(t, Config{Source: src})
	_, _, body := get(t, ts.URL+"/api/state")
	var st State
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.Error, "no such file") {
		t.Errorf("error = %q", st.Error)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	src := NewMemorySource(State{})
	for _, tc := range []struct {
		cfg  Config
		want string // "" for valid
	}{
		{Config{Source: src}, ""},
		{Config{Source: src, BasePath: "/"}, ""},
		{Config{Source: src, BasePath: "/a/b-c_d.e/"}, ""},
		{Config{}, "no source"},
		{Config{Source: src, BasePath: `/x"><script>`}, "base path"},
		{Config{Source: src, BasePath: "/a b"}, "base path"},
		{Config{Source: src, Resync: 5 * time.Second}, "resync"},
	} {
		_, err := New(tc.cfg)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("New(%+v) err = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	e, err := FromEnv(env(nil))
	if err != nil || e.Addr != ":8080" || e.BasePath != "" || e.Resync != time.Second || e.Demo {
		t.Errorf("defaults = %+v, %v", e, err)
	}
	e, err = FromEnv(env(map[string]string{"PORT": "9000", "CTX_ROOT": "/viz", "RESYNC_INTERVAL": "500ms", "VISUALIZER_DEMO": "1"}))
	if err != nil || e.Addr != ":9000" || e.BasePath != "/viz" || e.Resync != 500*time.Millisecond || !e.Demo {
		t.Errorf("set = %+v, %v", e, err)
	}
	if _, err := FromEnv(env(map[string]string{"RESYNC_INTERVAL": "750"})); err == nil || !strings.Contains(err.Error(), "use 750ms") && !strings.Contains(err.Error(), "write 750ms") {
		t.Errorf("RESYNC_INTERVAL=750: err = %v, want one that says 750ms", err)
	}
	for k, v := range map[string]string{"PORT": "http", "RESYNC_INTERVAL": "5s", "VISUALIZER_DEMO": "on"} {
		if _, err := FromEnv(env(map[string]string{k: v})); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: err = %v, want one naming %s", k, v, err, k)
		}
	}
}

func TestServeShutsDown(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Source: NewMemorySource(demoState())})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ln := httptest.NewUnstartedServer(nil).Listener
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	r := openEvents(t, url+"/api/events") // an open stream must not hold up shutdown
	if ev, _, _ := r.next(); ev != "hello" {
		t.Fatalf("first event %q", ev)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Serve after cancel = %v, want nil", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve did not return after cancel with an open event stream")
	}
}

// slowSource counts reads that take a while, as a swarm read does (about
// five Docker API calls), so that concurrent callers overlap.
type slowSource struct {
	countingSource
	delay time.Duration
}

func (s *slowSource) Snapshot(ctx context.Context) (State, error) {
	time.Sleep(s.delay)
	return s.countingSource.Snapshot(ctx)
}

// Unauthenticated readers of /api/state arriving together share one read
// of the swarm: fifty of them must not cost the manager fifty reads.
func TestConcurrentStateReadsShareOneRead(t *testing.T) {
	t.Parallel()
	src := &slowSource{countingSource: countingSource{Source: NewMemorySource(demoState())}, delay: 50 * time.Millisecond}
	s, err := New(Config{Source: src}) // no Run: no poller, every read is a reader's
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	const readers = 50
	start := make(chan struct{})
	codes := make(chan int, readers)
	for range readers {
		go func() {
			<-start
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, "/api/state", nil)
			r.Host = "127.0.0.1:9000" // httptest's example.com is refused as a rebound name
			h.ServeHTTP(w, r)
			if !strings.Contains(w.Body.String(), `"nodes"`) {
				t.Errorf("GET /api/state body: %.100s", w.Body.String())
			}
			codes <- w.Code
		}()
	}
	close(start)
	for range readers {
		if c := <-codes; c != http.StatusOK {
			t.Errorf("GET /api/state = %d, want 200", c)
		}
	}
	if n := src.calls.Load(); n > 2 {
		t.Errorf("%d concurrent GET /api/state read the swarm %d times, want 1 (2 at most)", readers, n)
	}
}
