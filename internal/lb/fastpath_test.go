package lb

import (
	"bufio"
	"context"
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
)

// startFast serves h on the fast path, with h itself as the fallback.
func startFast(t *testing.T, h *Handler, cfg TransportConfig) (string, *Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Router: func(host, path string) *Handler { return h }, Fallback: h, Upstream: cfg}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return "http://" + ln.Addr().String(), s
}

func mustListen(tb testing.TB) net.Listener {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return ln
}

func startFastB(b *testing.B, h *Handler) string {
	ln := mustListen(b)
	s := &Server{Router: func(string, string) *Handler { return h }, Fallback: h}
	go s.Serve(ln)
	b.Cleanup(func() { s.Close() })
	return "http://" + ln.Addr().String()
}

// bothPaths returns a front URL per serving path for h.
func bothPaths(t *testing.T, h *Handler) map[string]string {
	t.Helper()
	std := httptest.NewServer(h)
	t.Cleanup(std.Close)
	fast, _ := startFast(t, h, TransportConfig{})
	return map[string]string{"net/http": std.URL, "fast": fast}
}

func fetch(t *testing.T, req *http.Request) (*http.Response, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(req.Context(), 5*time.Second)
	defer cancel()
	resp, err := http.DefaultTransport.RoundTrip(req.WithContext(ctx))
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func TestBothPathsHeaders(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got http.Header
	var host string
	_, addr := backend(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got, host = r.Header.Clone(), r.Host
		mu.Unlock()
		w.Header().Set("Connection", "X-Secret")
		w.Header().Set("X-Secret", "hop")
		w.Header().Set("Keep-Alive", "timeout=5")
		io.WriteString(w, "hi")
	})
	for name, url := range bothPaths(t, &Handler{Pool: NewPool(addr)}) {
		req, _ := http.NewRequest("GET", url+"/p?q=1", nil)
		req.Host = "Site.example:8080"
		req.Header.Set("X-Forwarded-For", "198.51.100.1")
		req.Header.Set("X-Real-IP", "6.6.6.6")
		req.Header.Set("TE", "trailers")
		resp, body, err := fetch(t, req)
		if err != nil || resp.StatusCode != 200 || body != "hi" {
			t.Fatalf("%s: %v %v %q", name, err, resp, body)
		}
		mu.Lock()
		for k, want := range map[string]string{
			"X-Forwarded-For": "198.51.100.1, 127.0.0.1", "X-Real-Ip": "127.0.0.1", "X-Forwarded-Proto": "http",
			"X-Forwarded-Host": "Site.example:8080", "Te": "",
		} {
			if v := strings.Join(got.Values(k), ","); v != want {
				t.Errorf("%s: upstream saw %s=%q, want %q", name, k, v, want)
			}
		}
		if host != "Site.example:8080" {
			t.Errorf("%s: Host %q", name, host)
		}
		mu.Unlock()
		if resp.Header.Get("X-Secret") != "" || resp.Header.Get("Keep-Alive") != "" {
			t.Errorf("%s: hop-by-hop response headers leaked: %v", name, resp.Header)
		}
	}
}

func TestBothPathsRetryAndMidStream(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	_, closer := backend(t, func(w http.ResponseWriter, r *http.Request) {
		c, _, _ := http.NewResponseController(w).Hijack()
		c.Close()
	})
	_, busy := backend(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	_, dying := backend(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "part")
		w.(http.Flusher).Flush()
		c, _, _ := http.NewResponseController(w).Hijack()
		c.Close()
	})
	_, good := backend(t, named("good"))
	retry := &Handler{Pool: NewPool(deadAddr(t), closer, busy, good), Retry: Retry{MaxTries: 4}, Passive: PassiveHealth{DownFor: -1}}
	for name, url := range bothPaths(t, retry) {
		for i := 0; i < 8; i++ {
			req, _ := http.NewRequest("GET", url, nil)
			resp, body, err := fetch(t, req)
			if err != nil || resp.StatusCode != 200 || body != "good" {
				t.Fatalf("%s request %d: %v %v %q", name, i, err, resp, body)
			}
		}
	}
	for name, url := range bothPaths(t, &Handler{Pool: NewPool(dying, dying)}) {
		hits.Store(0)
		req, _ := http.NewRequest("GET", url, nil)
		if _, _, err := fetch(t, req); err == nil {
			t.Errorf("%s: a body cut mid-stream looked complete", name)
		}
		if hits.Load() != 1 {
			t.Errorf("%s: backend hit %d times after bytes were sent", name, hits.Load())
		}
	}
}

func TestFastChunkedHeadAndClose(t *testing.T) {
	t.Parallel()
	_, addr := backend(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Header().Set("Trailer", "X-Sum")
			for i := 0; i < 3; i++ {
				fmt.Fprintf(w, "part%d;", i)
				w.(http.Flusher).Flush()
			}
			w.Header().Set("X-Sum", "3")
		case "/304":
			w.WriteHeader(304)
		default:
			w.Header().Set("Content-Length", "5")
			io.WriteString(w, "hello")
		}
	})
	url, _ := startFast(t, &Handler{Pool: NewPool(addr)}, TransportConfig{})
	resp, err := http.Get(url + "/chunked")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "part0;part1;part2;" || resp.Trailer.Get("X-Sum") != "3" {
		t.Fatalf("chunked: %v %q trailer %v", err, b, resp.Trailer)
	}
	resp, err = http.Head(url + "/")
	if err != nil || resp.ContentLength != 5 {
		t.Fatalf("HEAD: %v %v", err, resp)
	}
	resp.Body.Close()
	resp, err = http.Get(url + "/304")
	if err != nil || resp.StatusCode != 304 {
		t.Fatalf("304: %v %v", err, resp)
	}
	resp.Body.Close()

	// Raw client: Connection: close is honoured, and pipelined requests
	// are answered in order.
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	all, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("server did not close after Connection: close: %v", err)
	}
	if n := strings.Count(string(all), "HTTP/1.1 200 OK"); n != 2 || !strings.Contains(string(all), "Connection: close") {
		t.Fatalf("pipelined answers:\n%s", all)
	}
}

func TestFastFallback(t *testing.T) {
	t.Parallel()
	_, addr := backend(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s", r.Method, r.Proto, b)
	})
	url, _ := startFast(t, &Handler{Pool: NewPool(addr)}, TransportConfig{})
	resp, err := http.Post(url, "text/plain", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "POST HTTP/1.1 body" {
		t.Fatalf("POST via fallback: %q", b)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A fast request, then one the fast path refuses (HTTP/1.0), then a
	// malformed one that net/http must reject: one connection throughout.
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	r1, err := http.ReadResponse(br, nil)
	if err != nil || r1.StatusCode != 200 {
		t.Fatalf("first: %v %v", err, r1)
	}
	io.Copy(io.Discard, r1.Body)
	io.WriteString(conn, "GET / HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
	r2, err := http.ReadResponse(br, nil)
	if err != nil || r2.StatusCode != 200 {
		t.Fatalf("HTTP/1.0 via fallback: %v %v", err, r2)
	}
	b, _ = io.ReadAll(r2.Body)
	if !strings.HasPrefix(string(b), "GET HTTP/1.1") {
		t.Fatalf("HTTP/1.0 answer %q", b)
	}
	bad, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	io.WriteString(bad, "GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n")
	r3, err := http.ReadResponse(bufio.NewReader(bad), nil)
	if err != nil || r3.StatusCode != 400 {
		t.Fatalf("malformed head: %v %v", err, r3)
	}
}

func TestFastStaleKeepAlive(t *testing.T) {
	t.Parallel()
	s := httptest.NewUnstartedServer(named("ok"))
	s.Config.IdleTimeout = 20 * time.Millisecond // closes our idle connections
	s.Start()
	defer s.Close()
	h := &Handler{Pool: NewPool(strings.TrimPrefix(s.URL, "http://"))}
	url, _ := startFast(t, h, TransportConfig{})
	for i := 0; i < 5; i++ {
		resp, err := http.Get(url)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("request %d: %v %v", i, err, resp)
		}
		resp.Body.Close()
		time.Sleep(50 * time.Millisecond)
	}
	if e := h.Pool.Upstreams()[0].errors.Load(); e != 0 {
		t.Errorf("a closed idle connection counted as %d upstream errors", e)
	}
}

func TestFastTimeoutAndNoUpstream(t *testing.T) {
	t.Parallel()
	_, slow := backend(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	url, _ := startFast(t, &Handler{Pool: NewPool(slow)}, TransportConfig{ResponseHeaderTimeout: 100 * time.Millisecond})
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil || resp.StatusCode != 504 || time.Since(start) > time.Second {
		t.Fatalf("slow upstream: %v %v after %v", err, resp, time.Since(start))
	}
	resp.Body.Close()
	url, _ = startFast(t, &Handler{Pool: NewPool()}, TransportConfig{})
	resp, _, err = fetch(t, must(http.NewRequest("GET", url, nil)))
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("no upstream: %v %v", err, resp)
	}
}

func must(r *http.Request, err error) *http.Request {
	if err != nil {
		panic(err)
	}
	return r
}

func TestFastShutdownDrains(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	_, addr := backend(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "done")
	})
	url, s := startFast(t, &Handler{Pool: NewPool(addr)}, TransportConfig{})
	got := make(chan string, 1)
	go func() {
		resp, body, err := fetch(t, must(http.NewRequest("GET", url, nil)))
		if err != nil {
			got <- err.Error()
			return
		}
		got <- fmt.Sprint(resp.StatusCode, " ", body)
	}()
	time.Sleep(100 * time.Millisecond)
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if r := <-got; r != "200 done" {
		t.Fatalf("in-flight request: %s", r)
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// The pool changes under load on the fast path: no request fails, and
// removed upstreams' kept-alive connections are closed.
func TestFastPoolSwapUnderLoad(t *testing.T) {
	t.Parallel()
	addrs := make([]string, 4)
	for i := range addrs {
		_, addrs[i] = backend(t, named("ok"))
	}
	p := NewPool(addrs[:2]...)
	url, _ := startFast(t, &Handler{Pool: p}, TransportConfig{})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	okN, failN := swapUnderLoad(t, p, addrs, func() (*http.Response, error) { return client.Get(url) })
	if failN != 0 || okN == 0 {
		t.Fatalf("%d failed, %d ok", failN, okN)
	}
}

func TestBothPathsUpgrade(t *testing.T) {
	t.Parallel()
	_, addr := backend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			w.WriteHeader(400)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		buf := make([]byte, 4)
		if _, err := io.ReadFull(brw, buf); err == nil {
			conn.Write(buf)
		}
	})
	for name, url := range bothPaths(t, &Handler{Pool: NewPool(addr)}) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(3 * time.Second))
		io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 101 {
			t.Fatalf("%s: %v %v", name, err, resp)
		}
		io.WriteString(conn, "ping")
		buf := make([]byte, 4)
		if _, err := io.ReadFull(br, buf); err != nil || string(buf) != "ping" {
			t.Fatalf("%s: echo %q %v", name, buf, err)
		}
		conn.Close()
	}
}
