package conformance

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The scripted backend: a raw TCP server that reads what a target
// forwards, records it, and answers with exact bytes, well-formed or not.

// script answers the requests a case scripts and returns false for the
// rest, which get the default answers.
type script func(c *bconn, r *breq) bool

// backend records every connection and request it got.
type backend struct {
	name   string // the X-Service it answers with
	addr   string
	script script

	uploaded atomic.Int64 // body bytes of /upload requests so far, as they arrive

	mu    sync.Mutex
	conns []*bconn
	reqs  []*breq
}

// bconn is one connection from the target.
type bconn struct {
	net.Conn
	br       *bufio.Reader
	b        *backend
	requests int  // guarded by b.mu
	closed   bool // the target closed it (or reset it) between requests; guarded by b.mu
	closeNow bool // set by an answer that closes the connection after it
}

// breq is a request as it reached the backend.
type breq struct {
	method, target, proto string
	head                  string
	fields                fields
	body                  []byte
	bodyLen               int64
	trailer               fields
	err                   error // the head or the body was unreadable
	conn                  *bconn
}

func (r *breq) path() string {
	p, _, _ := strings.Cut(r.target, "?")
	return p
}

func (r *breq) query(key string) string {
	_, q, _ := strings.Cut(r.target, "?")
	v, _ := url.ParseQuery(q)
	return v.Get(key)
}

func startBackend(t *testing.T, addr, name string, s script) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{name: name, addr: ln.Addr().String(), script: s}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		for _, c := range b.conns {
			c.Close()
		}
		b.mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			c := &bconn{Conn: nc, br: bufio.NewReaderSize(nc, 64<<10), b: b}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
			wg.Go(func() { b.serve(c) })
		}
	})
	return b
}

func (b *backend) serve(c *bconn) {
	defer c.Close()
	for !c.closeNow {
		head, err := readHead(c.br)
		if err != nil {
			b.mu.Lock()
			if head == "" {
				c.closed = true
			} else {
				b.reqs = append(b.reqs, &breq{head: head, err: err, conn: c})
			}
			b.mu.Unlock()
			return
		}
		line, fs := splitHead(head)
		r := &breq{head: head, fields: fs, conn: c}
		if f := strings.Split(line, " "); len(f) == 3 {
			r.method, r.target, r.proto = f[0], f[1], f[2]
		}
		b.mu.Lock()
		c.requests++
		b.reqs = append(b.reqs, r) // recorded on arrival: a body that never comes still counts
		b.mu.Unlock()
		if strings.EqualFold(fs.get("Expect"), "100-continue") {
			io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
		}
		var body bytes.Buffer
		cw := &countingWriter{}
		var w io.Writer = io.MultiWriter(&body, cw)
		if r.path() == "/upload" {
			// streamed: counted as it arrives, only the first 4 KiB kept
			w = io.MultiWriter(cw, &firstBytes{b: &body, n: 4 << 10}, progress{&b.uploaded})
			if d, err := time.ParseDuration(r.query("pause")); err == nil {
				time.Sleep(d) // a backend busy elsewhere: its receive window fills up
			}
		}
		kind, n := framing(fs, false)
		trailer, err := readBody(c.br, kind, n, w)
		b.mu.Lock()
		r.body, r.bodyLen, r.trailer, r.err = body.Bytes(), cw.n, trailer, err
		b.mu.Unlock()
		if err != nil {
			return
		}
		if b.script == nil || !b.script(c, r) {
			b.reply(c, r)
		}
	}
}

// firstBytes keeps the first n bytes written to it.
type firstBytes struct {
	b *bytes.Buffer
	n int
}

func (f *firstBytes) Write(p []byte) (int, error) {
	f.b.Write(p[:min(len(p), max(0, f.n-f.b.Len()))])
	return len(p), nil
}

type progress struct{ n *atomic.Int64 }

func (p progress) Write(b []byte) (int, error) {
	p.n.Add(int64(len(b)))
	return len(b), nil
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// reply gives the default answers:
//
//	/status/N    status N
//	/body        the request body back
//	/sha256      the hex SHA-256 of the request body
//	/upload      the number of body bytes (streamed, not kept but for the
//	             first 4 KiB); ?pause=2s: read the body only after 2s
//	/download?n= n bytes, streamed
//	/ws          a WebSocket upgrade, then "server-hello" and an echo of what comes
//	/close       the echo answer with Connection: close, then a close
//	anything     200 "id=<the id query parameter>"
//
// Every answer but /ws and /download carries X-Service: <backend name>.
func (b *backend) reply(c *bconn, r *breq) {
	status, body, extra := 200, "id="+r.query("id"), ""
	switch p := r.path(); {
	case strings.HasPrefix(p, "/status/"):
		status, _ = strconv.Atoi(p[len("/status/"):])
		body = p[len("/status/"):] + "\n"
	case p == "/body":
		body = string(r.body)
	case p == "/sha256":
		sum := sha256.Sum256(r.body)
		body = hex.EncodeToString(sum[:])
	case p == "/upload":
		body = strconv.FormatInt(r.bodyLen, 10)
	case p == "/download":
		n, _ := strconv.ParseInt(r.query("n"), 10, 64)
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", n)
		io.CopyN(c, zeros{}, n)
		return
	case p == "/ws":
		sum := sha1.Sum([]byte(r.fields.get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\nserver-hello",
			base64.StdEncoding.EncodeToString(sum[:]))
		io.Copy(c, c.br)
		c.closeNow = true
		return
	case p == "/close":
		extra = "Connection: close\r\n"
		c.closeNow = true
	}
	if status == 204 || status == 304 {
		body = "" // and no Content-Length: these never have a body
	} else {
		extra += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
	}
	msg := fmt.Sprintf("HTTP/1.1 %d Status\r\nContent-Type: text/plain\r\nX-Service: %s\r\n%s\r\n", status, b.name, extra)
	if r.method != "HEAD" {
		msg += body
	}
	io.WriteString(c, msg)
}

// raw answers with exactly s.
func raw(s string) func(c *bconn) { return func(c *bconn) { io.WriteString(c, s) } }

// on scripts the answer to one path; other paths get the defaults.
func on(path string, answer func(c *bconn)) script {
	return func(c *bconn, r *breq) bool {
		if r.path() != path {
			return false
		}
		answer(c)
		return true
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// requests returns copies of the requests the backend got so far.
func (b *backend) requests() []breq {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]breq, len(b.reqs))
	for i, r := range b.reqs {
		out[i] = *r
	}
	return out
}

// connState is a connection's record: requests it carried and whether the
// target closed it.
type connState struct {
	requests int
	closed   bool
}

func (b *backend) connOf(path string) (connState, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range b.reqs {
		if r.path() == path {
			return connState{r.conn.requests, r.conn.closed}, true
		}
	}
	return connState{}, false
}

func (b *backend) accepted() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns)
}

// requests returns every request that reached the lab's backends.
func (l *lab) requests() []breq {
	var out []breq
	for _, b := range l.backends {
		out = append(out, b.requests()...)
	}
	return out
}

// eventually polls cond every 10ms for up to d.
func eventually(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
