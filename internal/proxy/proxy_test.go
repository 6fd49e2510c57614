package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env     map[string]string
		wantErr string // substring; "" means valid
	}{
		{env: map[string]string{"BACKEND_HOST": "swtest_api:8080"}},
		{env: map[string]string{"BACKEND_HOST": "10.0.0.5:80", "SERVICE_PORTS": "8080", "PROXY_READ_TIMEOUT": "30s", "RESOLVE_INTERVAL": "500ms"}},
		{env: map[string]string{"BACKEND_HOST": "a:1", "PROXY_READ_TIMEOUT": "30"}, wantErr: `PROXY_READ_TIMEOUT="30": a duration needs a unit: write 30ms or 30s`},
		{env: map[string]string{"BACKEND_HOST": "a:1", "ACCESS_LOG": "off"}, wantErr: `ACCESS_LOG="off": want true or false`},
		{env: map[string]string{"BACKEND_HOST": "a:1", "SERVICE_PORTS": "http"}, wantErr: `SERVICE_PORTS="http": want a whole number`},
		{env: map[string]string{}, wantErr: "BACKEND_HOST is empty"},
		{env: map[string]string{"BACKEND_HOST": "swtest_api"}, wantErr: "has no port"},
		{env: map[string]string{"BACKEND_HOST": "swtest_api:http"}, wantErr: "not a number"},
		{env: map[string]string{"BACKEND_HOST": "swtest_api:70000"}, wantErr: "not a number"},
		{env: map[string]string{"BACKEND_HOST": "http://swtest_api:8080"}, wantErr: "without scheme"},
		{env: map[string]string{"BACKEND_HOST": "swtest_api:8080/api"}, wantErr: "without scheme, path"},
		{env: map[string]string{"BACKEND_HOST": ":8080"}, wantErr: "has no host"},
		{env: map[string]string{"BACKEND_HOST": "a:1", "SERVICE_PORTS": "80,81"}, wantErr: "SERVICE_PORTS"},
		{env: map[string]string{"BACKEND_HOST": "a:1", "PROXY_CONNECT_TIMEOUT": "soon"}, wantErr: "PROXY_CONNECT_TIMEOUT"},
		{env: map[string]string{"BACKEND_HOST": "a:1", "RESOLVE_INTERVAL": "-1s"}, wantErr: "positive"},
	}
	for _, tt := range tests {
		c, err := FromEnv(func(k string) string { return tt.env[k] })
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%v: unexpected error %v", tt.env, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%v: error %v, want one containing %q", tt.env, err, tt.wantErr)
		}
		if tt.wantErr == "" && tt.env["PROXY_READ_TIMEOUT"] == "30s" && c.ReadTimeout != 30*time.Second {
			t.Errorf("PROXY_READ_TIMEOUT=30 gave %v", c.ReadTimeout)
		}
	}
}

// fakeResolver answers from a map that tests change.
type fakeResolver struct {
	mu  sync.Mutex
	ans map[string][]string
}

func (f *fakeResolver) set(host string, ips ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ans[host] = ips
}

func (f *fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ips := f.ans[host]; len(ips) > 0 {
		return ips, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// listenSamePort starts a backend per loopback IP on one shared port, as
// swarm tasks listen on the same port at different IPs.
func listenSamePort(t *testing.T, ips ...string) string {
	t.Helper()
	for attempt := 0; attempt < 20; attempt++ {
		var lns []net.Listener
		port := "0"
		ok := true
		for _, ip := range ips {
			ln, err := net.Listen("tcp", net.JoinHostPort(ip, port))
			if err != nil {
				ok = false
				break
			}
			lns = append(lns, ln)
			_, port, _ = net.SplitHostPort(ln.Addr().String())
		}
		if !ok {
			for _, ln := range lns {
				ln.Close()
			}
			continue
		}
		for i, ln := range lns {
			name := ips[i]
			s := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Seen-For", r.Header.Get("X-Forwarded-For"))
				w.Header().Set("X-Seen-Real", r.Header.Get("X-Real-Ip"))
				w.Header().Set("X-Seen-Host", r.Header.Get("X-Forwarded-Host"))
				io.WriteString(w, name)
			})}}
			s.Start()
			t.Cleanup(s.Close)
		}
		return port
	}
	t.Fatal("no common free port on loopback addresses")
	return ""
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startProxy(t *testing.T, cfg Config, res Resolver, logw io.Writer) (string, context.CancelFunc, chan error) {
	t.Helper()
	p, err := New(cfg, nil, logw, res)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String(), cancel, done
}

func TestReResolution(t *testing.T) {
	t.Parallel()
	port := listenSamePort(t, "127.0.0.2", "127.0.0.3")
	res := &fakeResolver{ans: map[string][]string{}}
	res.set("api", "127.0.0.2") // no tasks.api yet: the VIP-style answer is used
	cfg := Defaults()
	cfg.BackendHost = "api:" + port
	cfg.ResolveInterval = 20 * time.Millisecond
	url, _, _ := startProxy(t, cfg, res, nil)

	seen := func() map[string]int {
		m := map[string]int{}
		for i := 0; i < 10; i++ {
			resp, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			m[string(b)]++
		}
		return m
	}
	eventually := func(what string, ok func(map[string]int) bool) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for {
			m := seen()
			if ok(m) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v", what, m)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	eventually("fallback to the plain name", func(m map[string]int) bool { return m["127.0.0.2"] == 10 })
	res.set("tasks.api", "127.0.0.2", "127.0.0.3")
	eventually("tasks.api balanced", func(m map[string]int) bool { return m["127.0.0.2"] > 0 && m["127.0.0.3"] > 0 })
	res.set("tasks.api", "127.0.0.3")
	eventually("removed task unused", func(m map[string]int) bool { return m["127.0.0.3"] == 10 })
	// DNS failure keeps the last known addresses.
	res.set("tasks.api")
	res.set("api")
	time.Sleep(100 * time.Millisecond)
	if m := seen(); m["127.0.0.3"] != 10 {
		t.Fatalf("after DNS failure: %v", m)
	}
}

// Once tasks.<host> has answered, the proxy never swaps the tasks for the
// service's VIP: through a VIP that swarm updates late, passive health and
// hedging could not tell a dead task from a live one.
func TestTasksNotSwappedForVIP(t *testing.T) {
	res := &fakeResolver{ans: map[string][]string{}}
	res.set("api", "10.0.1.2") // the VIP
	cfg := Defaults()
	cfg.BackendHost = "api:8080"
	p, err := New(cfg, nil, nil, res)
	if err != nil {
		t.Fatal(err)
	}
	addrs := func() []string {
		var a []string
		for _, u := range p.Pool().Upstreams() {
			a = append(a, u.Addr)
		}
		return a
	}
	ctx := context.Background()
	steps := []struct {
		what    string
		tasks   []string
		wantErr bool
		want    string
	}{
		{"before any task resolves, the plain name", nil, false, "10.0.1.2:8080"},
		{"the tasks once they resolve", []string{"10.0.1.5", "10.0.1.4"}, false, "10.0.1.4:8080 10.0.1.5:8080"},
		{"a task gone", []string{"10.0.1.5"}, false, "10.0.1.5:8080"},
		{"tasks.api failing: the last tasks, not the VIP", nil, true, "10.0.1.5:8080"},
		{"the tasks again", []string{"10.0.1.6"}, false, "10.0.1.6:8080"},
	}
	for _, s := range steps {
		res.set("tasks.api", s.tasks...)
		err := p.Resolve(ctx)
		if (err != nil) != s.wantErr {
			t.Fatalf("%s: error %v, want an error: %v", s.what, err, s.wantErr)
		}
		if got := strings.Join(addrs(), " "); got != s.want {
			t.Fatalf("%s: pool %q, want %q", s.what, got, s.want)
		}
	}
}

func TestHeadersAndAccessLog(t *testing.T) {
	t.Parallel()
	port := listenSamePort(t, "127.0.0.1")
	cfg := Defaults()
	cfg.BackendHost = "127.0.0.1:" + port
	var logw syncBuf
	url, _, _ := startProxy(t, cfg, nil, &logw)
	req, _ := http.NewRequest("GET", url+"/x?y=1", nil)
	req.Host = "www.example.org"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	req.Header.Set("User-Agent", `evil"agent`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Seen-For"); got != "203.0.113.9, 127.0.0.1" {
		t.Errorf("X-Forwarded-For %q", got)
	}
	if resp.Header.Get("X-Seen-Real") != "127.0.0.1" || resp.Header.Get("X-Seen-Host") != "www.example.org" {
		t.Errorf("headers %v", resp.Header)
	}
	// The line is written once the response is out: wait for it.
	deadline := time.Now().Add(2 * time.Second)
	for logw.String() == "" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	line := logw.String()
	for _, want := range []string{`127.0.0.1 - - [`, `"GET /x?y=1 HTTP/1.1" 200 9 "-" "evil\x22agent" upstream=127.0.0.1:` + port + ` rt=`} {
		if !strings.Contains(line, want) {
			t.Errorf("access log %q lacks %q", line, want)
		}
	}
}

func TestReadTimeoutAndMidStream(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/slow" {
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "half")
		w.(http.Flusher).Flush()
		c, _, _ := http.NewResponseController(w).Hijack()
		c.Close()
	}))
	defer b.Close()
	cfg := Defaults()
	cfg.BackendHost = strings.TrimPrefix(b.URL, "http://")
	cfg.ReadTimeout = 200 * time.Millisecond
	url, _, _ := startProxy(t, cfg, nil, nil)

	start := time.Now()
	resp, err := http.Get(url + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGatewayTimeout || time.Since(start) > 2*time.Second {
		t.Fatalf("slow backend: %d after %v", resp.StatusCode, time.Since(start))
	}

	hits.Store(0)
	resp, err = http.Get(url + "/die")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil || hits.Load() != 1 {
		t.Fatalf("mid-stream death: err=%v hits=%d", err, hits.Load())
	}
}

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "done")
	}))
	defer b.Close()
	cfg := Defaults()
	cfg.BackendHost = strings.TrimPrefix(b.URL, "http://")
	url, cancel, done := startProxy(t, cfg, nil, nil)
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			got <- err.Error()
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- strconv.Itoa(resp.StatusCode) + " " + string(body)
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if s := <-got; s != "200 done" {
		t.Fatalf("in-flight request during shutdown: %s", s)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("serve: %v", err)
	}
	done <- nil // for the cleanup
}
