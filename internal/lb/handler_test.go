package lb

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/lb/lbtest"
)

func backend(t *testing.T, h http.HandlerFunc) (*httptest.Server, string) {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s, strings.TrimPrefix(s.URL, "http://")
}

func named(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) }
}

// deadAddr returns an address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

// front serves h on a loopback Server, as the ingress and the proxy do,
// and returns its base URL.
func front(t *testing.T, h *Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Router: func(string, string) *Handler { return h }}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return "http://" + ln.Addr().String()
}

type answer struct {
	Code   int
	Body   string
	Header http.Header
}

// do sends one request through h (served by front) and reads the answer.
func do(t *testing.T, base, method, target string, body io.Reader, hdr map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, base+target, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, target, err)
	}
	return answer{resp.StatusCode, string(b), resp.Header}
}

func get(t *testing.T, base, method, target string) answer {
	t.Helper()
	return do(t, base, method, target, nil, nil)
}

func TestForwardHeaders(t *testing.T) {
	t.Parallel()
	var got http.Header
	var host, uri string
	_, addr := backend(t, func(w http.ResponseWriter, r *http.Request) {
		got, host, uri = r.Header.Clone(), r.Host, r.RequestURI
		w.Header().Set("Connection", "X-Secret")
		w.Header().Set("X-Secret", "hop")
		w.Header().Set("X-App", "yes")
	})
	h := &Handler{Pool: NewPool(addr)}
	rec := do(t, front(t, h), "GET", "/a/b?q=1", nil, map[string]string{
		"Host":            "app.example.com",
		"X-Forwarded-For": "198.51.100.1",
		"Connection":      "keep-alive, X-Drop",
		"X-Drop":          "1",
		"Keep-Alive":      "timeout=5",
	})
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	checks := map[string]string{
		"X-Forwarded-For":   "198.51.100.1, 127.0.0.1",
		"X-Real-Ip":         "127.0.0.1",
		"X-Forwarded-Proto": "http",
		"X-Forwarded-Host":  "app.example.com",
		"X-Drop":            "",
		"Keep-Alive":        "",
	}
	for k, want := range checks {
		if v := got.Get(k); v != want {
			t.Errorf("upstream saw %s = %q, want %q", k, v, want)
		}
	}
	if host != "app.example.com" || uri != "/a/b?q=1" {
		t.Errorf("host %q uri %q", host, uri)
	}
	if rec.Header.Get("X-Secret") != "" || rec.Header.Get("X-App") != "yes" {
		t.Errorf("response headers %v", rec.Header)
	}
}

func TestNoUpstream503(t *testing.T) {
	t.Parallel()
	h := &Handler{Pool: NewPool()}
	rec := get(t, front(t, h), "GET", "/")
	if rec.Code != 503 || !strings.Contains(rec.Body, "no backend") {
		t.Fatalf("got %d %q", rec.Code, rec.Body)
	}
}

func TestRetryOnDeadUpstream(t *testing.T) {
	t.Parallel()
	_, live := backend(t, named("live"))
	dead := deadAddr(t)
	p := NewPool(dead, live)
	h := &Handler{Pool: p, Selector: &RoundRobin{}}
	base := front(t, h)
	for i := 0; i < 6; i++ {
		rec := get(t, base, "GET", "/")
		if rec.Code != 200 || rec.Body != "live" {
			t.Fatalf("request %d: %d %q", i, rec.Code, rec.Body)
		}
	}
	if p.Upstreams()[0].Available() {
		t.Error("dead upstream not marked down passively")
	}
	// Nothing reached the upstream when the connect failed, so a POST
	// with a body may move on too.
	p.Upstreams()[0].downUntil.Store(0)
	for i := 0; i < 2; i++ {
		if rec := do(t, base, "POST", "/", strings.NewReader("x"), nil); rec.Code != 200 {
			t.Fatalf("POST after dial error: %d", rec.Code)
		}
	}
}

// An application's 5xx is its answer: relayed once, never retried, and
// its upstream stays in rotation (only connect failures, resets and
// timeouts count against health).
func TestApplication5xxIsRelayedNotRetried(t *testing.T) {
	t.Parallel()
	var sick atomic.Int32
	_, bad := backend(t, func(w http.ResponseWriter, r *http.Request) {
		sick.Add(1)
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(503)
	})
	_, good := backend(t, named("good"))
	p := NewPool(bad, good)
	h := &Handler{Pool: p, Selector: &RoundRobin{}}
	base := front(t, h)
	codes := map[int]int{}
	for i := 0; i < 8; i++ {
		codes[get(t, base, "GET", "/").Code]++
	}
	if codes[503] != 4 || codes[200] != 4 || sick.Load() != 4 {
		t.Fatalf("answers %v, sick backend hit %d times; want 4 × 503 relayed, 4 × 200", codes, sick.Load())
	}
	if !p.Upstreams()[0].Available() {
		t.Error("a backend that answered 503 was marked down")
	}
}

func TestMidStreamFailureIsNotRetried(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	mk := func() string {
		_, a := backend(t, func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(200)
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.Close()
		})
		return a
	}
	h := &Handler{Pool: NewPool(mk(), mk())}
	resp, err := http.Get(front(t, h))
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("client got a complete response from a backend that died mid-stream")
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("backend hit %d times, want 1 (no retry after bytes were sent)", n)
	}
}

func TestRetryWhenConnectionClosedBeforeResponse(t *testing.T) {
	t.Parallel()
	_, closer := backend(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
	})
	_, good := backend(t, named("good"))
	h := &Handler{Pool: NewPool(closer, good), Selector: &RoundRobin{}}
	base := front(t, h)
	for i := 0; i < 4; i++ {
		if rec := get(t, base, "GET", "/"); rec.Code != 200 || rec.Body != "good" {
			t.Fatalf("request %d: %d %q", i, rec.Code, rec.Body)
		}
	}
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	_, slow := backend(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	tr := NewTransport(TransportConfig{ResponseHeaderTimeout: 100 * time.Millisecond})
	h := &Handler{Pool: NewPool(slow), Transport: tr}
	base := front(t, h)
	start := time.Now()
	rec := get(t, base, "GET", "/")
	if rec.Code != http.StatusGatewayTimeout && rec.Code != http.StatusBadGateway {
		t.Fatalf("status %d", rec.Code)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("response header timeout not applied: %v", el)
	}
}

func TestHealthRiseFall(t *testing.T) {
	t.Parallel()
	var ok atomic.Bool
	ok.Store(true)
	_, addr := backend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" || !ok.Load() {
			w.WriteHeader(500)
		}
	})
	p := NewPool(addr)
	u := p.Upstreams()[0]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		HealthCheck{Path: "/health", Interval: 20 * time.Millisecond, Rise: 2, Fall: 2}.Run(ctx, p, nil)
		close(done)
	}()
	waitFor(t, "stays up", func() bool { return u.rises.Load() >= 2 && u.Healthy() })
	ok.Store(false)
	waitFor(t, "goes down", func() bool { return !u.Healthy() })
	ok.Store(true)
	waitFor(t, "comes back", func() bool { return u.Healthy() })
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("health check did not stop on cancel")
	}
}

func TestHealthTCP(t *testing.T) {
	t.Parallel()
	p := NewPool(deadAddr(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go HealthCheck{Interval: 10 * time.Millisecond, Fall: 1}.Run(ctx, p, nil)
	waitFor(t, "tcp check marks dead down", func() bool { return !p.Upstreams()[0].Healthy() })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Discovery swaps the pool's set while requests flow: none may fail.
func TestPoolSwapUnderLoad(t *testing.T) {
	t.Parallel()
	addrs := make([]string, 4)
	for i := range addrs {
		_, addrs[i] = backend(t, named("ok"))
	}
	p := NewPool(addrs[:2]...)
	base := front(t, &Handler{Pool: p})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	okN, failN := swapUnderLoad(t, p, addrs, func() (*http.Response, error) { return client.Get(base) })
	if failN != 0 || okN == 0 {
		t.Fatalf("%d failed, %d ok", failN, okN)
	}
}

func TestDoneHook(t *testing.T) {
	t.Parallel()
	_, addr := backend(t, named("hello"))
	var res Result
	done := make(chan struct{})
	h := &Handler{Pool: NewPool(addr), Done: func(_ *RequestInfo, r *Result) { res = *r; close(done) }}
	get(t, front(t, h), "GET", "/")
	<-done // after the body was sent
	if res.Status != 200 || res.Bytes != 5 || res.Upstream != addr || res.Tries != 1 {
		t.Fatalf("%+v", res)
	}
}

// swapUnderLoad changes the pool's set 200 times while 16 clients send.
func swapUnderLoad(t *testing.T, p *Pool, addrs []string, send func() (*http.Response, error)) (okN, failN int64) {
	return lbtest.UnderLoad(t, 16, send, func(body string) bool { return body == "ok" }, func() {
		for i := 0; i < 200; i++ {
			p.Set(addrs[i%3 : i%3+2])
			time.Sleep(time.Millisecond)
		}
	})
}
