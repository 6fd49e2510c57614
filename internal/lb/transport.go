package lb

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// TransportConfig holds the limits of the connections to upstreams.
type TransportConfig struct {
	// DialTimeout bounds connecting to an upstream. Default 5s.
	DialTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for an upstream's response
	// head after the request was sent. Default 60s.
	ResponseHeaderTimeout time.Duration
	// IdleConnTimeout closes kept-alive upstream connections idle this long.
	// Default 90s.
	IdleConnTimeout time.Duration
	// MaxIdleConnsPerHost is the keep-alive pool size per upstream. Default 1024.
	MaxIdleConnsPerHost int
	// MaxResponseHeaderBytes bounds an upstream's response head; a larger
	// one gets the client a 502. Default 64 KiB.
	MaxResponseHeaderBytes int
}

func (c TransportConfig) withDefaults() TransportConfig {
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.ResponseHeaderTimeout <= 0 {
		c.ResponseHeaderTimeout = 60 * time.Second
	}
	if c.IdleConnTimeout <= 0 {
		c.IdleConnTimeout = 90 * time.Second
	}
	if c.MaxIdleConnsPerHost <= 0 {
		c.MaxIdleConnsPerHost = 1024
	}
	if c.MaxResponseHeaderBytes <= 0 {
		c.MaxResponseHeaderBytes = 64 << 10
	}
	return c
}

// Transport carries requests to upstreams over kept-alive HTTP/1.1
// connections. fasthttp writes each request and parses each response; the
// Transport owns the connections, so that it can refuse to reuse one whose
// last response did not end exactly where its framing said (RFC 9112
// section 6.3): extra bytes from a misbehaving upstream must never become
// the next client's response.
type Transport struct {
	cfg     TransportConfig
	readers sync.Pool // *bufio.Reader sized to hold a whole response head
	writers sync.Pool // *bufio.Writer
}

// NewTransport returns a transport with c's limits.
func NewTransport(c TransportConfig) *Transport {
	t := &Transport{cfg: c.withDefaults()}
	// fasthttp parses a head in place, so the reader's size is the largest
	// head it can read: a little more than the limit, for the status line.
	size := t.cfg.MaxResponseHeaderBytes + 1024
	t.readers.New = func() any { return bufio.NewReaderSize(nil, size) }
	t.writers.New = func() any { return bufio.NewWriterSize(nil, 16<<10) }
	return t
}

// Config returns the transport's limits, defaults filled in.
func (t *Transport) Config() TransportConfig { return t.cfg }

var (
	defaultTransportOnce sync.Once
	defaultTransport     *Transport
)

// DefaultTransport is the transport handlers use when none is set.
func DefaultTransport() *Transport {
	defaultTransportOnce.Do(func() { defaultTransport = NewTransport(TransportConfig{}) })
	return defaultTransport
}

// upConn is a kept-alive connection to an upstream, owned by one request
// at a time. Reads and writes fail when the upstream makes no progress for
// idle (ResponseHeaderTimeout); deadlines are re-armed only when a quarter
// of idle has passed, since arming one per read would cost more than the
// read.
type upConn struct {
	net.Conn
	lastUsed time.Time
	idle     time.Duration // 0: no deadlines (an upgraded connection)
	rd, wd   time.Time     // deadlines armed now
}

func (c *upConn) Read(p []byte) (int, error) {
	if c.idle > 0 {
		if err := c.arm(&c.rd, c.Conn.SetReadDeadline); err != nil {
			return 0, err
		}
	}
	return c.Conn.Read(p)
}

func (c *upConn) Write(p []byte) (int, error) {
	if c.idle > 0 {
		if err := c.arm(&c.wd, c.Conn.SetWriteDeadline); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(p)
}

func (c *upConn) arm(d *time.Time, set func(time.Time) error) error {
	now := time.Now()
	if d.Sub(now) >= c.idle*3/4 {
		return nil
	}
	*d = now.Add(c.idle)
	return set(*d)
}

// noDeadlines lifts the deadlines for good: an upgraded connection may be
// quiet for as long as its two ends like.
func (c *upConn) noDeadlines() {
	c.idle = 0
	c.Conn.SetDeadline(time.Time{})
}

// conn returns an idle connection of u (reused=true) or dials a new one.
// An idle connection that received bytes nobody asked for, or that the
// upstream closed, is closed and skipped.
func (t *Transport) conn(ctx context.Context, u *Upstream) (c *upConn, reused bool, err error) {
	now := time.Now()
	for {
		u.idleMu.Lock()
		n := len(u.idle)
		if n == 0 {
			u.idleMu.Unlock()
			break
		}
		c = u.idle[n-1]
		u.idle[n-1] = nil
		u.idle = u.idle[:n-1]
		u.idleMu.Unlock()
		if now.Sub(c.lastUsed) < t.cfg.IdleConnTimeout && !unsolicited(c.Conn) {
			return c, true, nil
		}
		c.Close()
	}
	d := net.Dialer{Timeout: t.cfg.DialTimeout, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", u.Addr)
	if err != nil {
		return nil, false, err
	}
	return &upConn{Conn: nc, idle: t.cfg.ResponseHeaderTimeout}, false, nil
}

// release returns c to u's pool, or closes it when the pool is full or u
// left its pool.
func (t *Transport) release(u *Upstream, c *upConn) {
	c.lastUsed = time.Now()
	u.idleMu.Lock()
	if u.removed || len(u.idle) >= t.cfg.MaxIdleConnsPerHost {
		u.idleMu.Unlock()
		c.Close()
		return
	}
	u.idle = append(u.idle, c)
	u.idleMu.Unlock()
}

// closeIdle closes the kept-alive connections of an upstream that left its
// pool; connections in use are closed when they come back.
func (u *Upstream) closeIdle() {
	u.idleMu.Lock()
	idle := u.idle
	u.idle, u.removed = nil, true
	u.idleMu.Unlock()
	for _, c := range idle {
		c.Close()
	}
}

// errResponseHead marks a response the upstream sent but that cannot be
// relayed (malformed, ambiguous or too large a head). It is the
// response's fault, not the upstream's health: it is not retried and does
// not mark the upstream down.
var errResponseHead = errors.New("invalid response from upstream")

// roundTrip writes req on c and reads the response head into resp, whose
// body (when it has one) is then streamed from br. On error c is unusable.
func (t *Transport) roundTrip(c *upConn, req *fasthttp.Request, resp *fasthttp.Response, br *bufio.Reader) error {
	bw := t.writers.Get().(*bufio.Writer)
	bw.Reset(c)
	err := req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	t.writers.Put(bw)
	if err != nil {
		return err
	}
	resp.StreamBody = true
	resp.SkipBody = req.Header.IsHead()
	resp.Header.SetNoDefaultContentType(true) // relay the upstream's, or none
	if err := resp.Header.Read(br); err != nil {
		return classifyReadErr(err)
	}
	// Interim responses other than 101 are dropped, as a client that did
	// not ask for them (Expect was removed) would not expect them.
	for i := 0; resp.StatusCode() >= 100 && resp.StatusCode() < 200 && resp.StatusCode() != fasthttp.StatusSwitchingProtocols; i++ {
		if i == 5 {
			return errResponseHead
		}
		if err := resp.Header.Read(br); err != nil {
			return classifyReadErr(err)
		}
	}
	if err := validResponseHead(&resp.Header); err != nil {
		return err
	}
	if bodyless(req, resp) {
		return nil
	}
	return resp.ReadBody(br, 0) // StreamBody: sets up the body stream only
}

// classifyReadErr tells a broken or silent upstream (its fault: counts
// against its health, and an idempotent request may go elsewhere) from one
// that answered with a head that cannot be relayed. fasthttp reports
// anything that ends the connection before the first byte as io.EOF.
func classifyReadErr(err error) error {
	var ne net.Error
	if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, io.EOF) || errors.As(err, &ne) {
		return err
	}
	return errors.Join(errResponseHead, err)
}

// bodyless reports a response that has no body whatever its headers say.
func bodyless(req *fasthttp.Request, resp *fasthttp.Response) bool {
	s := resp.StatusCode()
	return req.Header.IsHead() || s < 200 || s == fasthttp.StatusNoContent || s == fasthttp.StatusNotModified
}
