package lb

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
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
	// HedgeDelay is how long a connect may take before another upstream's
	// connect is raced against it; the first to connect carries the
	// request. Default (0): 8 times the average connect time seen so far,
	// at least 10 ms and at most half of DialTimeout. A connect inside an
	// overlay takes well under a millisecond, so only a dead or overloaded
	// task takes that long. Negative: never race.
	HedgeDelay time.Duration
	// UnackedTimeout drops a connection whose sent bytes stay
	// unacknowledged this long (TCP_USER_TIMEOUT, Linux): a request written
	// to a kept-alive connection whose task lost power fails in this time
	// instead of waiting for its answer, and an idempotent one is sent
	// again elsewhere. The kernel checks it only when it retransmits, and
	// not before its minimum retransmission timeout (200 ms) has passed
	// twice, the first time for a tail-loss probe: with 300 ms a dead
	// task was given up after 0.75 s. So the minimum retransmission
	// timeout of these sockets is set to a tenth of UnackedTimeout where
	// the kernel allows it (TCP_RTO_MIN_US, Linux 6.15): a live task's
	// kernel answers any retransmission at once, and a dead one is given
	// up about 50 ms after UnackedTimeout (0.5 s on older kernels).
	// Default 100 ms. Negative: the kernel's defaults. It is lifted while a
	// large request body is sent (see relaxUnacked).
	UnackedTimeout time.Duration
	// TunnelTimeout closes an upgraded connection (WebSocket) on which no
	// byte went either way this long, as HAProxy's "timeout tunnel".
	// Default 1h.
	TunnelTimeout time.Duration
}

// ParseTuning reads a HedgeDelay or UnackedTimeout setting: a duration such
// as 20ms, "auto" (or empty) for the default, or "off".
func ParseTuning(s string) (time.Duration, error) {
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case "", "auto":
		return 0, nil
	case "off":
		return -1, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a duration such as 20ms, auto or off", s)
	}
	return d, nil
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
	if c.UnackedTimeout == 0 {
		c.UnackedTimeout = 100 * time.Millisecond
	}
	if c.TunnelTimeout <= 0 {
		c.TunnelTimeout = time.Hour
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
	readers sync.Pool    // *bufio.Reader sized to hold a whole response head
	writers sync.Pool    // *bufio.Writer
	dialAvg atomic.Int64 // moving average of successful connect times, ns
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
// idle (ResponseHeaderTimeout; see rearm).
type upConn struct {
	net.Conn
	lastUsed time.Time
	idle     time.Duration // 0: no deadlines (an upgraded connection)
	rd, wd   time.Time     // deadlines armed now
	aborted  atomic.Bool   // abortWaiting ended the wait for the answer
	// unackedOff: TCP_USER_TIMEOUT is off while a large body is sent (see
	// relaxUnacked), and is set again when the connection is released.
	unackedOff bool
	peek       peeker
}

// largeBody is the request body size from which a backend's receive window
// may fill up while it is sent.
const largeBody = 256 << 10

// relaxUnacked turns TCP_USER_TIMEOUT off on c before a large body is sent:
// a backend that pauses reading fills its receive window, and the kernel
// would take the zero-window probes it answers for a dead peer after
// UnackedTimeout. It is busy, not dead; the write idle timeout bounds the
// wait instead, as HAProxy's "timeout server" does.
func (t *Transport) relaxUnacked(c *upConn) {
	if t.cfg.UnackedTimeout > 0 && !c.unackedOff {
		setUnacked(c.Conn, 0)
		c.unackedOff = true
	}
}

func (c *upConn) Read(p []byte) (int, error) {
	if c.idle > 0 {
		if err := rearm(&c.rd, c.idle, c.Conn.SetReadDeadline); err != nil {
			return 0, err
		}
		// After arming: an abortWaiting that came first had its deadline
		// replaced, and one that comes later sets it again.
		if c.aborted.Load() {
			return 0, os.ErrDeadlineExceeded
		}
	}
	return c.Conn.Read(p)
}

func (c *upConn) Write(p []byte) (int, error) {
	if c.idle > 0 {
		if err := rearm(&c.wd, c.idle, c.Conn.SetWriteDeadline); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(p)
}

// rearm moves the deadline *d to idle from now, through set, once a quarter
// of idle has passed since it was last moved: arming one per read or write
// would cost more than the read or write, and the idle timeout stays
// between three quarters of idle and idle.
func rearm(d *time.Time, idle time.Duration, set func(time.Time) error) error {
	now := time.Now()
	if d.Sub(now) >= idle*3/4 {
		return nil
	}
	*d = now.Add(idle)
	return set(*d)
}

// noDeadlines lifts the deadlines for good: an upgraded connection may be
// quiet for as long as its two ends like.
func (c *upConn) noDeadlines() {
	c.idle = 0
	c.Conn.SetDeadline(time.Time{})
}

// idleConn returns a kept-alive connection of u, or nil. One that
// received bytes nobody asked for, that the upstream closed, or that idled
// too long is closed and skipped.
func (t *Transport) idleConn(u *Upstream) *upConn {
	now := time.Now()
	for {
		c := u.popIdle()
		if c == nil {
			return nil
		}
		if now.Sub(c.lastUsed) < t.cfg.IdleConnTimeout && !c.unsolicited() {
			return c
		}
		c.Close()
	}
}

// keptAlive returns a kept-alive connection of u for a request, or nil.
// A client connection's first request (fresh) may take only a settled one,
// as HAProxy's "http-reuse safe": a late, unsolicited response on a
// kept-alive connection (one the peek came too early to see) can then not
// reach a newcomer's first request.
func (t *Transport) keptAlive(u *Upstream, fresh bool) *upConn {
	if !fresh {
		return t.idleConn(u)
	}
	if c := t.settledConn(u); c != nil {
		return c
	}
	t.checkTop(u)
	return nil
}

// popIdle takes u's kept-alive connection released last, or nil.
func (u *Upstream) popIdle() *upConn {
	u.idleMu.Lock()
	defer u.idleMu.Unlock()
	n := len(u.idle)
	if n == 0 {
		return nil
	}
	c := u.idle[n-1]
	u.idle[n-1] = nil
	u.idle = u.idle[:n-1]
	return c
}

// settledAfter is how long a kept-alive connection must have been idle
// before a client connection's first request may take it.
const settledAfter = time.Second

// settledConn returns u's longest-idle kept-alive connection if it has
// been idle for settledAfter and nothing came on it since, or nil. A late
// response a backend sends unasked comes within milliseconds of the
// response before it; a connection quiet for a second has none pending.
// Without this, clients that make one request per connection (curl in a
// loop) would open an upstream connection each and fill the pool.
func (t *Transport) settledConn(u *Upstream) *upConn {
	now := time.Now()
	u.idleMu.Lock()
	if len(u.idle) == 0 || now.Sub(u.idle[0].lastUsed) < settledAfter {
		u.idleMu.Unlock()
		return nil
	}
	c := u.idle[0]
	u.idle[0] = nil
	u.idle = u.idle[1:]
	u.idleMu.Unlock()
	if now.Sub(c.lastUsed) >= t.cfg.IdleConnTimeout || c.unsolicited() {
		c.Close()
		return nil
	}
	return c
}

// checkTop peeks at the kept-alive connection of u released last, and
// closes it if it received bytes nobody asked for. A client connection's
// first request takes no kept-alive connection, so without this one that
// went bad would linger until a later request took it or it idled out;
// the one released last is the one a backend answering too much has just
// spoiled. One peek per new client connection, not per request.
func (t *Transport) checkTop(u *Upstream) {
	c := u.popIdle()
	if c == nil {
		return
	}
	if c.unsolicited() {
		c.Close()
		return
	}
	t.putIdle(u, c)
}

// dial opens a new connection to u, bounded by DialTimeout alone: a
// connect is short, and fasthttp's request context must not outlive its
// request (a connect that loses a race does).
func (t *Transport) dial(u *Upstream) (*upConn, error) {
	start := time.Now()
	d := net.Dialer{Timeout: t.cfg.DialTimeout, KeepAlive: 30 * time.Second, Control: t.control}
	nc, err := d.Dial("tcp", u.Addr)
	if err != nil {
		return nil, err
	}
	took := int64(time.Since(start))
	if avg := t.dialAvg.Load(); avg == 0 {
		t.dialAvg.Store(took)
	} else {
		t.dialAvg.Store(avg - avg/8 + took/8)
	}
	return &upConn{Conn: nc, idle: t.cfg.ResponseHeaderTimeout}, nil
}

// hedgeDelay is HedgeDelay, or the adaptive delay it defaults to.
func (t *Transport) hedgeDelay() time.Duration {
	if t.cfg.HedgeDelay != 0 {
		return t.cfg.HedgeDelay
	}
	return min(max(8*time.Duration(t.dialAvg.Load()), 10*time.Millisecond), t.cfg.DialTimeout/2)
}

// release returns c to u's pool, or closes it when the pool is full or u
// left its pool.
func (t *Transport) release(u *Upstream, c *upConn) {
	c.lastUsed = time.Now()
	if c.unackedOff {
		setUnacked(c.Conn, t.cfg.UnackedTimeout)
		c.unackedOff = false
	}
	t.putIdle(u, c)
}

// putIdle adds c to u's kept-alive connections, or closes it when the pool
// is full or u left its pool.
func (t *Transport) putIdle(u *Upstream, c *upConn) {
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

// dropIdle closes the kept-alive connections of an upstream that cannot be
// reached: they lead nowhere either.
func (u *Upstream) dropIdle() {
	u.idleMu.Lock()
	idle := u.idle
	u.idle = nil
	u.idleMu.Unlock()
	for _, c := range idle {
		c.Close()
	}
}

// gone reports an upstream that left its pool.
func (u *Upstream) gone() bool {
	u.idleMu.Lock()
	defer u.idleMu.Unlock()
	return u.removed
}

// errResponseHead marks a response the upstream sent but that cannot be
// relayed (malformed, ambiguous or too large a head). It is the
// response's fault, not the upstream's health: it is not retried and does
// not mark the upstream down.
var errResponseHead = errors.New("invalid response from upstream")

// errRequestUnwritable marks a request that could not be written upstream
// because of what the client sent: a 400, never the upstream's fault.
var errRequestUnwritable = errors.New("request cannot be forwarded")

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
		var ne net.Error
		if !errors.As(err, &ne) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			// Not the connection's failure: fasthttp refused to write
			// the request as the client sent it.
			return errors.Join(errRequestUnwritable, err)
		}
		return err
	}
	resp.StreamBody = true
	resp.SkipBody = req.Header.IsHead()
	resp.Header.SetNoDefaultContentType(true) // relay the upstream's, or none
	if err := readHead(resp, br); err != nil {
		return err
	}
	// Interim responses other than 101 are dropped, as a client that did
	// not ask for them (Expect was removed) would not expect them.
	for i := 0; resp.StatusCode() >= 100 && resp.StatusCode() < 200 && resp.StatusCode() != fasthttp.StatusSwitchingProtocols; i++ {
		if i == 5 {
			return errResponseHead
		}
		if err := readHead(resp, br); err != nil {
			return err
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

// readHead reads one response head, refusing at once one that ends with a
// bare-LF blank line (see bareLFHead), the first head or one after a 1xx.
func readHead(resp *fasthttp.Response, br *bufio.Reader) error {
	if _, err := br.Peek(1); err != nil {
		return classifyReadErr(err)
	}
	if b, _ := br.Peek(br.Buffered()); bareLFHead(b) {
		return errResponseHead
	}
	if err := resp.Header.Read(br); err != nil {
		return classifyReadErr(err)
	}
	return nil
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
