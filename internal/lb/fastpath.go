package lb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Router picks the handler for a request from its Host header (as sent,
// port included) and URL path. nil hands the request to the fallback.
type Router func(host, path string) *Handler

// Server serves HTTP/1.1 with a fast path for the common case and
// net/http for the rest. A GET or HEAD without body, Upgrade or Expect is
// parsed here and forwarded with its header lines copied as they are, over
// kept-alive upstream connections, with no goroutine hand-off and almost
// no allocation. Any other request (a body, HTTP/1.0, a malformed or huge
// head, an unknown host) moves its connection, bytes already read
// included, to an http.Server running Fallback: the fast path never has to
// be a complete HTTP implementation, only a strict one.
//
// The Handler's Pool, Selector, Retry, Passive, TrustForwarded and Done
// apply to both paths; its Transport only to the fallback.
type Server struct {
	// Router picks a handler. Required.
	Router Router
	// Fallback serves what the fast path does not. Required.
	Fallback http.Handler
	// Upstream holds the timeouts towards upstreams.
	Upstream TransportConfig
	// ReadHeaderTimeout bounds reading a request head. Default 10s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request (fallback only: the fast
	// path reads no body). Default 60s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response. Default 5m.
	WriteTimeout time.Duration
	// IdleTimeout closes client connections idle this long. Default 90s.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request head. Default 64 KiB.
	MaxHeaderBytes int
	// ErrorLog receives the fallback server's errors. Default: discarded.
	ErrorLog *log.Logger

	once     sync.Once
	fb       *http.Server
	fbl      *chanListener
	shutting atomic.Bool
	mu       sync.Mutex
	lns      map[net.Listener]struct{}
	conns    map[*fconn]struct{}
	wg       sync.WaitGroup
}

func (s *Server) init(addr net.Addr) {
	s.once.Do(func() {
		if s.ReadHeaderTimeout <= 0 {
			s.ReadHeaderTimeout = 10 * time.Second
		}
		if s.ReadTimeout <= 0 {
			s.ReadTimeout = 60 * time.Second
		}
		if s.WriteTimeout <= 0 {
			s.WriteTimeout = 5 * time.Minute
		}
		if s.IdleTimeout <= 0 {
			s.IdleTimeout = 90 * time.Second
		}
		if s.MaxHeaderBytes <= 0 {
			s.MaxHeaderBytes = 64 << 10
		}
		s.Upstream = s.Upstream.withDefaults()
		if s.ErrorLog == nil {
			s.ErrorLog = log.New(io.Discard, "", 0)
		}
		s.lns = map[net.Listener]struct{}{}
		s.conns = map[*fconn]struct{}{}
		s.fbl = &chanListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
		s.fb = &http.Server{
			Handler:           s.Fallback,
			ReadHeaderTimeout: s.ReadHeaderTimeout,
			ReadTimeout:       s.ReadTimeout,
			WriteTimeout:      s.WriteTimeout,
			IdleTimeout:       s.IdleTimeout,
			MaxHeaderBytes:    s.MaxHeaderBytes,
			ErrorLog:          s.ErrorLog,
		}
		go s.fb.Serve(s.fbl)
	})
}

// Serve accepts connections on ln until Shutdown or Close. It returns
// http.ErrServerClosed after a shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.init(ln.Addr())
	s.mu.Lock()
	if s.shutting.Load() {
		s.mu.Unlock()
		ln.Close()
		return http.ErrServerClosed
	}
	s.lns[ln] = struct{}{}
	s.mu.Unlock()
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.shutting.Load() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		fc := &fconn{Conn: c, s: s}
		s.mu.Lock()
		if s.shutting.Load() {
			s.mu.Unlock()
			c.Close()
			return http.ErrServerClosed
		}
		s.conns[fc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go fc.serve()
	}
}

// Shutdown stops accepting, closes idle connections, and waits for
// requests in flight (both paths) until ctx ends, then closes the rest.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init(nil)
	s.shutting.Store(true)
	s.mu.Lock()
	for ln := range s.lns {
		ln.Close()
	}
	s.mu.Unlock()
	fbDone := make(chan error, 1)
	go func() { fbDone <- s.fb.Shutdown(ctx) }()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		s.mu.Lock()
		for fc := range s.conns {
			if fc.state.CompareAndSwap(stateIdle, stateClosed) {
				fc.Conn.Close()
			}
		}
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			return <-fbDone
		}
		select {
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Close closes every listener and connection at once.
func (s *Server) Close() error {
	s.init(nil)
	s.shutting.Store(true)
	s.mu.Lock()
	for ln := range s.lns {
		ln.Close()
	}
	for fc := range s.conns {
		fc.Conn.Close()
	}
	s.mu.Unlock()
	return s.fb.Close()
}

const (
	stateIdle int32 = iota
	stateActive
	stateClosed
)

// fconn is a client connection on the fast path, with its reusable
// buffers.
type fconn struct {
	net.Conn
	s      *Server
	state  atomic.Int32
	remote string // RemoteAddr().String(), computed once
	ip     string
	br     *bufio.Reader
	bw     *bufio.Writer
	req    fastReq
	resp   fastResp
	rd, wd lazyDeadline
}

var crlfcrlf = []byte("\r\n\r\n")

// lazyDeadline re-arms a connection deadline only when the new one moved
// by more than 1/16 of the timeout (at most a second): timer updates are a
// measurable part of a request's cost on the fast path. The deadline in
// force is never more than that tolerance early.
type lazyDeadline struct{ at time.Time }

func (d *lazyDeadline) set(now time.Time, after time.Duration, apply func(time.Time) error) {
	t := now.Add(after)
	tol := min(after/16, time.Second)
	if diff := d.at.Sub(t); diff <= 0 && diff > -tol {
		return
	}
	d.at = t
	apply(t)
}

var (
	clientReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}
	clientWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 8<<10) }}
	copyBufs      = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}
)

func (c *fconn) serve() {
	s := c.s
	handedOff := false
	c.br = clientReaders.Get().(*bufio.Reader)
	c.br.Reset(c.Conn)
	c.bw = clientWriters.Get().(*bufio.Writer)
	c.bw.Reset(c.Conn)
	c.remote = c.Conn.RemoteAddr().String()
	c.ip = clientIP(c.remote)
	defer func() {
		if !handedOff {
			c.Conn.Close()
			c.br.Reset(nil)
			clientReaders.Put(c.br)
		}
		c.bw.Reset(nil)
		clientWriters.Put(c.bw)
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.wg.Done()
	}()
	for {
		if c.br.Buffered() == 0 {
			c.rd.set(time.Now(), s.IdleTimeout, c.Conn.SetReadDeadline)
		}
		c.state.Store(stateIdle)
		if s.shutting.Load() {
			return
		}
		if _, err := c.br.Peek(1); err != nil {
			return
		}
		if !c.state.CompareAndSwap(stateIdle, stateActive) {
			return // closed by Shutdown
		}
		now := time.Now()
		if buf, _ := c.br.Peek(c.br.Buffered()); !bytes.Contains(buf, crlfcrlf) {
			c.rd.set(now, s.ReadHeaderTimeout, c.Conn.SetReadDeadline) // head still coming
		}
		ok, err := c.req.read(c.br, s.MaxHeaderBytes)
		if err != nil {
			return
		}
		var h *Handler
		if ok {
			h = s.Router(c.req.str(c.req.host), c.req.path())
		}
		if h == nil {
			handedOff = true
			s.handoff(c)
			return
		}
		c.wd.set(now, s.WriteTimeout, c.Conn.SetWriteDeadline)
		if !c.forward(h) || c.req.close {
			c.bw.Flush()
			return
		}
	}
}

// handoff gives the connection, with the bytes read so far, to the
// fallback http.Server.
func (s *Server) handoff(c *fconn) {
	c.Conn.SetDeadline(time.Time{})
	head := append([]byte(nil), c.req.head...)
	rc := &replayConn{Conn: c.Conn, r: io.MultiReader(bytes.NewReader(head), c.br)}
	select {
	case s.fbl.ch <- rc:
	case <-s.fbl.done:
		c.Conn.Close()
	}
}

// replayConn replays already-read bytes before reading the connection.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// chanListener feeds handed-off connections to the fallback server.
type chanListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr {
	if l.addr == nil {
		return &net.TCPAddr{}
	}
	return l.addr
}

// span is a byte range of a head buffer; offsets survive its growth.
type span struct{ start, end int }

// fastReq is a parsed request head. Every field points into head.
type fastReq struct {
	head    []byte
	method  span
	target  span
	host    span
	lines   []span // header lines forwarded as they are, CRLF included
	xff     []span // X-Forwarded-For values
	trusted []span // X-Real-Ip, X-Forwarded-Proto, X-Forwarded-Host lines
	referer span
	ua      span
	isHead  bool
	close   bool
}

func (r *fastReq) str(s span) string { return string(r.head[s.start:s.end]) }

func (r *fastReq) path() string {
	t := r.head[r.target.start:r.target.end]
	if i := bytes.IndexByte(t, '?'); i >= 0 {
		t = t[:i]
	}
	return string(t)
}

// read parses a request head. ok is false when the request is not for
// the fast path; head then holds every byte consumed, for the fallback.
func (r *fastReq) read(br *bufio.Reader, maxBytes int) (ok bool, err error) {
	*r = fastReq{head: r.head[:0], lines: r.lines[:0], xff: r.xff[:0], trusted: r.trusted[:0]}
	hostSeen := false
	for first := true; ; first = false {
		line, err := br.ReadSlice('\n')
		start := len(r.head)
		r.head = append(r.head, line...)
		if err == bufio.ErrBufferFull || len(r.head) > maxBytes || len(r.lines) > 100 {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		end := len(r.head)
		l := r.head[start:end]
		if len(l) < 2 || l[len(l)-2] != '\r' {
			return false, nil // bare LF
		}
		if first {
			if !r.requestLine(start, end) {
				return false, nil
			}
			continue
		}
		if len(l) == 2 {
			return hostSeen, nil
		}
		if l[0] == ' ' || l[0] == '\t' {
			return false, nil // obsolete line folding
		}
		colon := bytes.IndexByte(l, ':')
		if colon <= 0 {
			return false, nil
		}
		name := l[:colon]
		for _, c := range name {
			if !isTokenChar(c) {
				return false, nil
			}
		}
		vs, ve := start+colon+1, end-2
		for vs < ve && (r.head[vs] == ' ' || r.head[vs] == '\t') {
			vs++
		}
		for ve > vs && (r.head[ve-1] == ' ' || r.head[ve-1] == '\t') {
			ve--
		}
		for _, c := range r.head[vs:ve] {
			if c < ' ' && c != '\t' || c == 0x7f {
				return false, nil
			}
		}
		val := r.head[vs:ve]
		switch {
		case equalFold(name, "host"):
			if hostSeen || len(val) == 0 || bytes.ContainsAny(val, " \t/\\") {
				return false, nil
			}
			hostSeen = true
			r.host = span{vs, ve}
			r.lines = append(r.lines, span{start, end})
		case equalFold(name, "content-length"):
			if string(val) != "0" {
				return false, nil
			}
		case equalFold(name, "transfer-encoding"), equalFold(name, "upgrade"), equalFold(name, "expect"):
			return false, nil
		case equalFold(name, "connection"):
			for _, tok := range bytes.Split(val, []byte{','}) {
				tok = bytes.TrimSpace(tok)
				switch {
				case equalFold(tok, "close"):
					r.close = true
				case equalFold(tok, "keep-alive"), len(tok) == 0:
				default:
					return false, nil // names other hop-by-hop headers
				}
			}
		case equalFold(name, "keep-alive"), equalFold(name, "proxy-connection"), equalFold(name, "te"),
			equalFold(name, "trailer"), equalFold(name, "proxy-authorization"), equalFold(name, "proxy-authenticate"):
			// hop-by-hop: dropped
		case equalFold(name, "x-forwarded-for"):
			if len(val) > 0 {
				r.xff = append(r.xff, span{vs, ve})
			}
		case equalFold(name, "x-real-ip"), equalFold(name, "x-forwarded-proto"), equalFold(name, "x-forwarded-host"):
			r.trusted = append(r.trusted, span{start, end})
		default:
			if equalFold(name, "referer") {
				r.referer = span{vs, ve}
			} else if equalFold(name, "user-agent") {
				r.ua = span{vs, ve}
			}
			r.lines = append(r.lines, span{start, end})
		}
	}
}

// requestLine accepts only "GET|HEAD SP origin-form SP HTTP/1.1 CRLF".
func (r *fastReq) requestLine(start, end int) bool {
	l := r.head[start:end]
	var m int
	switch {
	case bytes.HasPrefix(l, []byte("GET ")):
		m = 3
	case bytes.HasPrefix(l, []byte("HEAD ")):
		m, r.isHead = 4, true
	default:
		return false
	}
	rest := l[m+1:]
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 || rest[0] != '/' || string(rest[sp+1:]) != "HTTP/1.1\r\n" {
		return false
	}
	for _, c := range rest[:sp] {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	r.method = span{start, start + m}
	r.target = span{start + m + 1, start + m + 1 + sp}
	return true
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0
}

// equalFold compares an ASCII header name with a lower-case constant.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

var (
	_ net.Listener = (*chanListener)(nil)
	_ net.Conn     = (*replayConn)(nil)
)
