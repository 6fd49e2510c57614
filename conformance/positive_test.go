package conformance

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// D: positive controls, what must keep working.
func TestPositiveControls(t *testing.T) {
	trailer := on("/trailer", raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n"))
	cases := []struct {
		name   string
		script script
		run    func(c *check, l *lab)
	}{
		{"D-GET", nil, func(c *check, l *lab) { ownAnswers(c, dial(c.t, l.addr), 1) }},
		{"D-HEAD-keeps-content-length-sends-no-body", nil, headKeepsLength},
		{"D-POST-1MB-body", nil, post1MB},
		{"D-chunked-request-body-with-trailer", nil, chunkedRequest},
		{"D-chunked-response-with-trailer", trailer, func(c *check, l *lab) {
			cl := dial(c.t, l.addr)
			r, err := cl.do(request("GET", "/trailer"), "GET")
			if !c.ok(err, "GET") {
				return
			}
			if intact(r) != "" || r.framing != byChunks || r.trailer.get("X-Checksum") != "abc" {
				c.fail("got %s body %q trailer %q, want 200 chunked \"hello\" with the trailer X-Checksum: abc", r, r.body, r.trailer)
				return
			}
			c.note("200 chunked with the trailer")
			ownAnswers(c, cl, 1)
		}},
		{"D-204", nil, func(c *check, l *lab) { withoutBody(c, l, request("GET", "/status/204"), 204) }},
		{"D-304", nil, func(c *check, l *lab) { withoutBody(c, l, request("GET", "/status/304", `If-None-Match: "v1"`), 304) }},
		{"D-expect-100-continue", nil, expectContinue},
		{"D-three-pipelined-GETs", nil, pipelined},
		{"D-websocket-upgrade", nil, websocket},
		{"D-256MB-upload-streamed", nil, func(c *check, l *lab) { streamed(c, l, upload) }},
		{"D-256MB-download-streamed", nil, func(c *check, l *lab) { streamed(c, l, download) }},
		{"D-forwarding-headers", nil, forwardingHeaders},
		{"D-hop-by-hop-headers-removed", nil, hopByHop},
		{"D-100-requests-on-one-connection-reuse-upstream", nil, func(c *check, l *lab) {
			ownAnswers(c, dial(c.t, l.addr), 100)
			n := l.backends[0].accepted()
			c.note("%d upstream connections", n)
			if n > 3 {
				c.fail("100 requests on one client connection took %d upstream connections, want 3 at most (keep-alive)", n)
			}
		}},
		{"D-backend-answering-connection-close", nil, connectionClose},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { eachTarget(t, labSpec{script: tc.script}, tc.run) })
	}
}

// ownAnswers sends n echo requests on cl, one after another: each must get
// its own answer.
func ownAnswers(c *check, cl *client, n int) {
	c.t.Helper()
	for i := range n {
		if w := echoes(cl); w != "" {
			c.fail("request %d of %d on the connection got %s", i+1, n, w)
			return
		}
	}
	c.note("%d/%d answers", n, n)
}

func headKeepsLength(c *check, l *lab) {
	cl := dial(c.t, l.addr)
	id := newID()
	r, err := cl.do(request("HEAD", "/echo?id="+id), "HEAD")
	if !c.ok(err, "HEAD") {
		return
	}
	if want := strconv.Itoa(len("id=" + id)); r.status != 200 || r.fields.get("Content-Length") != want {
		c.fail("HEAD got %s with Content-Length %q, want 200 with %s", r, r.fields.get("Content-Length"), want)
		return
	}
	ownAnswers(c, cl, 1) // a body after the HEAD answer would be read here
}

func post1MB(c *check, l *lab) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	body[12345] = 'X'
	sum := sha256.Sum256(body)
	r, err := dial(c.t, l.addr).do(request("POST", "/sha256", "Content-Length: "+strconv.Itoa(len(body)))+string(body), "POST")
	if !c.ok(err, "POST") {
		return
	}
	if r.status != 200 || string(r.body) != hex.EncodeToString(sum[:]) {
		c.fail("got %s body %.80q, want 200 and the body's SHA-256", r, r.body)
		return
	}
	c.note("200, SHA-256 matches")
}

func chunkedRequest(c *check, l *lab) {
	req := request("POST", "/body", "Transfer-Encoding: chunked", "Trailer: X-Checksum") + "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n"
	r, err := dial(c.t, l.addr).do(req, "POST")
	if !c.ok(err, "POST") {
		return
	}
	got := l.backends[0].requests()
	if r.status != 200 || string(r.body) != "hello world" || len(got) != 1 || string(got[0].body) != "hello world" {
		c.fail("got %s body %q; want 200 and the backend to receive \"hello world\"", r, r.body)
		return
	}
	// Reported, not asserted: a proxy that buffers the body sends no trailer.
	c.note("body arrived; trailer at the backend: %q", got[0].trailer.get("X-Checksum"))
}

func withoutBody(c *check, l *lab, req string, status int) {
	cl := dial(c.t, l.addr)
	r, err := cl.do(req, "GET")
	if !c.ok(err, "request") {
		return
	}
	if r.status != status || r.fields.has("Transfer-Encoding") {
		c.fail("got %s with Transfer-Encoding %q, want %d without a body", r, r.fields.values("Transfer-Encoding"), status)
		return
	}
	ownAnswers(c, cl, 1)
}

func expectContinue(c *check, l *lab) {
	cl := dial(c.t, l.addr)
	r, err := cl.do(request("POST", "/body", "Content-Length: 4", "Expect: 100-continue"), "POST")
	if !c.ok(err, "waiting for 100 Continue before sending the body") {
		return
	}
	if r.status != 100 {
		c.fail("got %s before sending the body, want 100 Continue", r)
		return
	}
	r, err = cl.do("ping", "POST")
	if !c.ok(err, "the final response") {
		return
	}
	if r.status != 200 || string(r.body) != "ping" {
		c.fail("after 100 Continue got %s body %q, want 200 \"ping\"", r, r.body)
		return
	}
	c.note("100, then 200")
}

func pipelined(c *check, l *lab) {
	cl := dial(c.t, l.addr)
	ids := []string{newID(), newID(), newID()}
	if !c.ok(cl.send(echo(ids[0])+echo(ids[1])+echo(ids[2])), "send") {
		return
	}
	for i, id := range ids {
		r, err := cl.read("GET")
		if !c.ok(err, fmt.Sprintf("answer %d", i+1)) {
			return
		}
		if r.status != 200 || string(r.body) != "id="+id {
			c.fail("answer %d is %s body %q, want 200 %q", i+1, r, r.body, "id="+id)
			return
		}
	}
	c.note("three answers in order")
}

func websocket(c *check, l *lab) {
	cl := dial(c.t, l.addr)
	r, err := cl.do(request("GET", "/ws", "Connection: Upgrade", "Upgrade: websocket",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"), "GET")
	if !c.ok(err, "upgrade") {
		return
	}
	if r.status != 101 || !strings.EqualFold(r.fields.get("Upgrade"), "websocket") {
		c.fail("got %s with Upgrade %q, want 101 websocket", r, r.fields.get("Upgrade"))
		return
	}
	hello := make([]byte, len("server-hello"))
	if _, err := io.ReadFull(cl.br, hello); !c.ok(err, "bytes from the backend") || string(hello) != "server-hello" {
		c.fail("the backend's first bytes arrived as %q", hello)
		return
	}
	back := make([]byte, 4)
	if !c.ok(cl.send("ping"), "send") {
		return
	}
	if _, err := io.ReadFull(cl.br, back); !c.ok(err, "echo") || string(back) != "ping" {
		c.fail("the echo came back as %q", back)
		return
	}
	c.note("101, bytes both ways")
}

const streamSize = 256 << 20

func upload(cl *client) (*response, error) {
	if err := cl.send(request("POST", "/upload", "Content-Length: "+strconv.Itoa(streamSize))); err != nil {
		return nil, err
	}
	cl.conn.SetWriteDeadline(time.Now().Add(cl.timeout))
	if _, err := io.CopyN(cl.conn, zeros{}, streamSize); err != nil {
		return nil, err
	}
	r, err := cl.read("POST")
	if err == nil && string(r.body) != strconv.Itoa(streamSize) {
		r.err = fmt.Errorf("the backend got %s bytes", r.body)
	}
	return r, err
}

func download(cl *client) (*response, error) {
	if err := cl.send(request("GET", "/download?n="+strconv.Itoa(streamSize))); err != nil {
		return nil, err
	}
	w := &countingWriter{}
	r, err := cl.readTo("GET", w)
	if err == nil && w.n != streamSize {
		r.err = fmt.Errorf("%d bytes arrived", w.n)
	}
	return r, err
}

// streamed moves 256 MB through the target with do and checks that the
// target's peak memory grew by less than 64 MB: it streamed, it did not
// hold the body.
func streamed(c *check, l *lab, do func(*client) (*response, error)) {
	before, err := peakMemory(l.pid)
	if !c.ok(err, "peak memory") {
		return
	}
	cl := dial(c.t, l.addr)
	cl.timeout = time.Minute
	start := time.Now()
	r, err := do(cl)
	if !c.ok(err, "256 MB") {
		return
	}
	if r.status != 200 || r.err != nil {
		c.fail("got %s", r)
		return
	}
	after, _ := peakMemory(l.pid)
	c.note("200 in %s, peak memory +%d MB", time.Since(start).Round(100*time.Millisecond), (after-before)>>20)
	if after-before >= 64<<20 {
		c.fail("peak memory grew by %d MB moving 256 MB: the body was buffered, not streamed", (after-before)>>20)
	}
}

// peakMemory reads a process's peak resident memory (VmHWM) in bytes.
func peakMemory(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

func forwardingHeaders(c *check, l *lab) {
	if w := echoes(dial(c.t, l.addr)); w != "" {
		c.fail("got %s", w)
		return
	}
	got := l.backends[0].requests()[0].fields
	for name, want := range map[string]string{
		"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "conformance.test",
	} {
		if v := got.values(name); len(v) != 1 || v[0] != want {
			c.fail("%s at the backend is %q, want %q", name, v, want)
		}
	}
	c.note("X-Forwarded-For, X-Real-IP, X-Forwarded-Proto, X-Forwarded-Host checked")
}

func hopByHop(c *check, l *lab) {
	req := request("GET", "/echo?id=hop", "Connection: keep-alive, X-Hop", "Keep-Alive: timeout=5", "X-Hop: secret",
		"TE: deflate", "Upgrade: websocket")
	r, err := dial(c.t, l.addr).do(req, "GET")
	if !c.ok(err, "GET") {
		return
	}
	if r.status != 200 {
		c.fail("got %s, want 200", r)
		return
	}
	got := l.backends[0].requests()[0].fields
	for _, name := range []string{"Keep-Alive", "X-Hop", "TE", "Upgrade"} {
		if got.has(name) {
			c.fail("hop-by-hop header %s reached the backend: %q", name, got.values(name))
		}
	}
	if conn := strings.ToLower(strings.Join(got.values("Connection"), ",")); strings.Contains(conn, "x-hop") {
		c.fail("the client's Connection header reached the backend: %q", conn)
	}
	c.note("Connection, Keep-Alive, X-Hop, TE, Upgrade checked")
}

func connectionClose(c *check, l *lab) {
	cl := dial(c.t, l.addr)
	id := newID()
	r, err := cl.do(request("GET", "/close?id="+id), "GET")
	if !c.ok(err, "GET /close") {
		return
	}
	if r.status != 200 || string(r.body) != "id="+id {
		c.fail("got %s body %q, want 200 %q", r, r.body, "id="+id)
		return
	}
	w := echoes(cl)
	if w != "" && strings.EqualFold(r.fields.get("Connection"), "close") {
		// The target passed the close on: the client may go on elsewhere.
		c.note("the target closed the client connection too")
		w = echoes(dial(c.t, l.addr))
	}
	if w != "" {
		c.fail("the next request got %s", w)
		return
	}
	c.note("next request answered")
}
