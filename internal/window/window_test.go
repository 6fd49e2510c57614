package window

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/swarmlab/swarmlab/internal/tutorial"
)

type harness struct {
	srv    *Server
	ts     *httptest.Server
	lab    *fakeLab
	cookie string // the cookie the opened URL gave
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	fl := newFakeLab("manager", "worker01", "worker02", "worker03")
	if cfg.Lab == nil {
		cfg.Lab = fl
	}
	cfg.Poll = 20 * time.Millisecond
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go srv.Watch(ctx)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	h := &harness{srv: srv, ts: ts, lab: fl}
	// Open the URL the command prints, as a browser does, and keep its cookie.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(srv.URL(strings.TrimPrefix(ts.URL, "http://")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("opening the URL: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == Cookie && ck.HttpOnly && ck.SameSite == http.SameSiteStrictMode {
			h.cookie = ck.Name + "=" + ck.Value
		}
	}
	if h.cookie == "" {
		t.Fatalf("no HttpOnly SameSite=Strict %s cookie in %v", Cookie, resp.Header["Set-Cookie"])
	}
	return h
}

func (h *harness) get(t *testing.T, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", h.ts.URL+path, nil)
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (h *harness) dial(t *testing.T, ctx context.Context, path string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(h.ts.URL, "http") + path
	return websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: hdr})
}

func (h *harness) origin() string { return h.ts.URL }

// TestRefused: every way in without this launch's secret, from another
// origin or under another name is refused, on the real handler.
func TestRefused(t *testing.T) {
	h := newHarness(t, Config{})
	other, err := New(Config{Lab: h.lab})
	if err != nil {
		t.Fatal(err)
	}
	otherCookie := Cookie + "=" + other.cfg.Secret
	for _, tc := range []struct {
		name string
		path string
		hdr  map[string]string
		want int
	}{
		{"no token", "/", nil, 401},
		{"no token for the events", "/api/events", nil, 401},
		{"no token for a terminal", "/term/manager", nil, 401},
		{"another launch's token in the URL", "/?token=" + other.cfg.Secret, nil, 403},
		{"another launch's cookie", "/", map[string]string{"Cookie": otherCookie}, 401},
		{"the class board's cookie name", "/", map[string]string{"Cookie": "swarmlab=" + h.srv.cfg.Secret}, 401},
		{"DNS rebinding", "/", map[string]string{"Cookie": h.cookie, "Host": "attacker.example:" + strings.Split(h.ts.URL, ":")[2]}, 421},
		{"DNS rebinding to a terminal", "/term/manager", map[string]string{"Cookie": h.cookie, "Host": "attacker.example"}, 421},
		{"a fetch from another origin", "/api/config", map[string]string{"Cookie": h.cookie, "Origin": "http://attacker.example"}, 403},
		{"a fetch from another port of this host", "/api/config", map[string]string{"Cookie": h.cookie, "Origin": "http://127.0.0.1:1"}, 403},
		{"the page", "/", map[string]string{"Cookie": h.cookie}, 200},
		{"a node the lab does not have", "/term/host", map[string]string{"Cookie": h.cookie}, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.get(t, tc.path, tc.hdr)
			if resp.StatusCode != tc.want {
				body, _ := io.ReadAll(resp.Body)
				t.Fatalf("GET %s: %d %q, want %d", tc.path, resp.StatusCode, body, tc.want)
			}
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name string
		hdr  http.Header
		want int
	}{
		{"a WebSocket from another origin", http.Header{"Cookie": {h.cookie}, "Origin": {"http://attacker.example"}}, 403},
		{"a WebSocket from another port of this host", http.Header{"Cookie": {h.cookie}, "Origin": {"http://127.0.0.1:1"}}, 403},
		{"a WebSocket without the secret", http.Header{"Origin": {h.origin()}}, 401},
		{"a WebSocket with another launch's secret", http.Header{"Cookie": {otherCookie}, "Origin": {h.origin()}}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, resp, err := h.dial(t, ctx, "/term/manager", tc.hdr)
			if err == nil {
				c.CloseNow()
				t.Fatal("the upgrade was accepted")
			}
			if resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("got %v, %v; want %d", resp, err, tc.want)
			}
		})
	}
	h.lab.mu.Lock()
	n := len(h.lab.shells)
	h.lab.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d shells were started by refused requests", n)
	}
}

// TestPage: the page carries a strict CSP whose nonce is the page's.
func TestPage(t *testing.T) {
	h := newHarness(t, Config{Lang: tutorial.Japanese})
	resp := h.get(t, "/", map[string]string{"Cookie": h.cookie})
	body, _ := io.ReadAll(resp.Body)
	csp := resp.Header.Get("Content-Security-Policy")
	i := strings.Index(csp, "'nonce-")
	if i < 0 || !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
		t.Fatalf("CSP %q", csp)
	}
	nonce := strings.TrimSuffix(strings.Fields(csp[i+len("'nonce-"):])[0], "';")
	if !strings.Contains(string(body), `content="`+nonce+`"`) || !strings.Contains(string(body), `<html lang="ja">`) {
		t.Fatalf("page without its nonce %q: %s", nonce, body)
	}
	if strings.Contains(string(body), "<script>") {
		t.Fatal("inline script in the page")
	}
	for _, asset := range []string{"/static/app.js", "/static/vendor/xterm.js", "/static/vendor/addon-fit.js", "/static/vendor/xterm.css"} {
		if r := h.get(t, asset, map[string]string{"Cookie": h.cookie}); r.StatusCode != 200 {
			t.Fatalf("%s: %d", asset, r.StatusCode)
		}
	}
}

// TestVisualizerProxy: the visualizer's data comes through the window's
// origin, without the window's cookie.
func TestVisualizerProxy(t *testing.T) {
	var mu sync.Mutex
	var got *http.Request
	viz := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Clone(context.Background())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"nodes":[]}`)
	}))
	defer viz.Close()
	h := newHarness(t, Config{Visualizer: viz.URL})
	resp := h.get(t, "/api/viz/state?x=1", map[string]string{"Cookie": h.cookie})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != `{"nodes":[]}` {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.URL.Path != "/api/state" || got.URL.RawQuery != "" || got.Header.Get("Cookie") != "" {
		t.Fatalf("the visualizer got %s?%s with Cookie %q", got.URL.Path, got.URL.RawQuery, got.Header.Get("Cookie"))
	}
	if r := h.get(t, "/api/viz/..%2f..%2fsecret", map[string]string{"Cookie": h.cookie}); r.StatusCode != 404 {
		t.Fatalf("a path other than state and events: %d", r.StatusCode)
	}
}

// TestEvents: the progress and the nodes reach the page as they change.
func TestEvents(t *testing.T) {
	progress := make(chan tutorial.Progress)
	h := newHarness(t, Config{Progress: func(ctx context.Context, show func(tutorial.Progress)) error {
		for {
			select {
			case <-ctx.Done():
				return nil
			case p := <-progress:
				show(p)
			}
		}
	}})
	req, _ := http.NewRequest("GET", h.ts.URL+"/api/events", nil)
	req.Header.Set("Cookie", h.cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	progress <- tutorial.Progress{Lab: "win", Current: "init", Position: 1, Total: 2}
	events := readEvents(t, resp.Body, "progress", "nodes")
	var p tutorial.Progress
	if err := json.Unmarshal([]byte(events["progress"]), &p); err != nil || p.Current != "init" {
		t.Fatalf("progress %s: %v", events["progress"], err)
	}
	var n nodesEvent
	if err := json.Unmarshal([]byte(events["nodes"]), &n); err != nil || len(n.Nodes) != 4 || n.Nodes[0].Name != "manager" {
		t.Fatalf("nodes %s: %v", events["nodes"], err)
	}
}

// readEvents reads server-sent events until each of want came.
func readEvents(t *testing.T, r io.Reader, want ...string) map[string]string {
	t.Helper()
	got := map[string]string{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		var text string
		for {
			n, err := r.Read(buf)
			text += string(buf[:n])
			for _, block := range strings.Split(text, "\n\n") {
				var ev, data string
				for _, line := range strings.Split(block, "\n") {
					if v, ok := strings.CutPrefix(line, "event: "); ok {
						ev = v
					}
					if v, ok := strings.CutPrefix(line, "data: "); ok {
						data = v
					}
				}
				if ev != "" && data != "" {
					got[ev] = data
				}
			}
			all := true
			for _, w := range want {
				all = all && got[w] != ""
			}
			if all || err != nil {
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("events %v did not all come: %v", want, got)
	}
	return got
}

// page is the page's end of a terminal's WebSocket.
type page struct {
	t    *testing.T
	c    *websocket.Conn
	out  chan []byte
	stat chan status
}

func (h *harness) openTerm(t *testing.T, ctx context.Context, node string, cols, rows int) *page {
	t.Helper()
	c, _, err := h.dial(t, ctx, "/term/"+node+"?cols="+itoa(cols)+"&rows="+itoa(rows), http.Header{"Cookie": {h.cookie}, "Origin": {h.origin()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	p := &page{t: t, c: c, out: make(chan []byte, 100), stat: make(chan status, 100)}
	go func() {
		for {
			typ, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			if typ == websocket.MessageBinary {
				p.out <- data
				continue
			}
			var s status
			if json.Unmarshal(data, &s) == nil {
				p.stat <- s
			}
		}
	}()
	return p
}

func itoa(n int) string { return strconv.Itoa(n) }

func (p *page) waitStatus(state string, session int) status {
	p.t.Helper()
	for {
		select {
		case s := <-p.stat:
			if s.State == state && (session == 0 || s.Session == session) {
				return s
			}
		case <-time.After(10 * time.Second):
			p.t.Fatalf("no status %s (session %d)", state, session)
		}
	}
}

// read collects output frames until they hold want; every frame must be
// whole UTF-8.
func (p *page) read(want string) string {
	p.t.Helper()
	var all []byte
	for !strings.Contains(string(all), want) {
		select {
		case b := <-p.out:
			if !utf8.Valid(b) {
				p.t.Fatalf("a frame splits a character: %q", b)
			}
			all = append(all, b...)
		case <-time.After(10 * time.Second):
			p.t.Fatalf("output %q, waiting for %q", all, want)
		}
	}
	return string(all)
}

func (p *page) typeKeys(ctx context.Context, s string) {
	p.t.Helper()
	if err := p.c.Write(ctx, websocket.MessageBinary, []byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

func (p *page) resize(ctx context.Context, cols, rows int) {
	p.t.Helper()
	data, _ := json.Marshal(control{Type: "resize", Cols: cols, Rows: rows})
	if err := p.c.Write(ctx, websocket.MessageText, data); err != nil {
		p.t.Fatal(err)
	}
}

func waitShell(t *testing.T, fl *fakeLab) *fakeShell {
	t.Helper()
	select {
	case s := <-fl.started:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no shell started")
		return nil
	}
}

// TestBridge: keys one way, output the other, whole characters only, the
// size followed, and a new shell after the node restarts.
func TestBridge(t *testing.T) {
	h := newHarness(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := h.openTerm(t, ctx, "worker01", 100, 30)
	sh := waitShell(t, h.lab)
	p.waitStatus(StateConnected, 1)
	if sh.node != "worker01" || sh.sizes()[0] != [2]int{100, 30} {
		t.Fatalf("shell in %s of size %v", sh.node, sh.sizes())
	}

	// Keys, Japanese included, echo back.
	p.typeKeys(ctx, "echo こんにちは\r")
	p.read("echo こんにちは\r")

	// Output split inside a character arrives as whole characters.
	jp := []byte("日本語のテスト")
	for _, cut := range [][]byte{jp[:1], jp[1:4], jp[4:8], jp[8:]} {
		if _, err := sh.out.Write(cut); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.read("日本語のテスト"); !strings.HasSuffix(got, "日本語のテスト") {
		t.Fatalf("got %q", got)
	}

	// The size follows the page, within bounds.
	p.resize(ctx, 132, 43)
	p.resize(ctx, 100000, 0)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := sh.sizes()
		if len(s) == 3 && s[1] == [2]int{132, 43} && s[2] == [2]int{maxCols, minSize} {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sizes %v", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.resize(ctx, 90, 25)

	// The node restarts: the page is told, and gets a new shell of its size.
	h.lab.stop("worker01")
	p.waitStatus(StateWaiting, 0)
	p.typeKeys(ctx, "lost\r") // typed while the node is down: dropped
	h.lab.start("worker01")
	sh2 := waitShell(t, h.lab)
	p.waitStatus(StateConnected, 2)
	if got := sh2.sizes()[0]; got != [2]int{90, 25} {
		t.Fatalf("the new shell's size %v, want the page's 90x25", got)
	}
	p.typeKeys(ctx, "docker node ls\r")
	p.read("docker node ls\r")
	sh2.mu.Lock()
	typed := string(sh2.typed)
	sh2.mu.Unlock()
	if typed != "docker node ls\r" {
		t.Fatalf("the new shell got %q", typed)
	}

	// The page goes: its shell is hung up.
	p.c.Close(websocket.StatusNormalClosure, "")
	deadline = time.Now().Add(10 * time.Second)
	for !sh2.isClosed() {
		if time.Now().After(deadline) {
			t.Fatal("the shell outlived its page")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestIncompleteTail(t *testing.T) {
	t.Parallel()
	jp := []byte("あ") // 3 bytes
	emoji := []byte("😀")
	for _, tc := range []struct {
		in   []byte
		want int
	}{
		{[]byte("abc"), 0},
		{nil, 0},
		{jp, 0},
		{jp[:1], 1},
		{jp[:2], 2},
		{append([]byte("x"), jp[:2]...), 2},
		{emoji[:3], 3},
		{emoji, 0},
		{[]byte("é")[:1], 1},
		{[]byte{0xff}, 0},
		{[]byte{0x80, 0x80, 0x80, 0x80}, 0},
	} {
		if got := incompleteTail(tc.in); got != tc.want {
			t.Errorf("incompleteTail(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
	// Fed a byte at a time, the joiner gives back the text whole.
	var j utf8Joiner
	var out []byte
	text := []byte("swarm 日本語 😀 ok")
	for i := range text {
		piece := j.next(text[i : i+1])
		if !utf8.Valid(piece) {
			t.Fatalf("piece %q", piece)
		}
		out = append(out, piece...)
	}
	out = append(out, j.flush()...)
	if string(out) != string(text) {
		t.Fatalf("got %q", out)
	}
}
