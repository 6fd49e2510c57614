package lb

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// Handler forwards requests to an upstream of Pool chosen by Selector,
// retrying on another upstream when a connect fails, and retrying
// idempotent requests without a body when the upstream broke before
// answering.
type Handler struct {
	// Pool holds the upstreams. Required.
	Pool *Pool
	// Selector picks an upstream. Default: round-robin.
	Selector Selector
	// Transport carries requests to upstreams. Default: DefaultTransport().
	Transport *Transport
	// Retry bounds the retries.
	Retry Retry
	// Passive configures passive health marking.
	Passive PassiveHealth
	// TrustForwarded keeps X-Real-IP, X-Forwarded-Proto and X-Forwarded-Host
	// set by a proxy in front; otherwise they are overwritten. Default false.
	TrustForwarded bool
	// Done, when set, is called once per request after the response is
	// complete, body included (for access logs). It must not keep req or res.
	Done func(req *RequestInfo, res *Result)
}

// Retry bounds how a failed attempt is retried on another upstream.
type Retry struct {
	// MaxTries is the total number of attempts, at most the number of
	// upstreams. Default 3; 1 disables retries.
	MaxTries int
	// Duration bounds the time spent retrying since the request arrived.
	// Default 5s.
	Duration time.Duration
}

// RequestInfo is what an access log needs of a request.
type RequestInfo struct {
	RemoteAddr, Method, Host, URI, Proto, Referer, UserAgent string
}

// NewRequestInfo copies what an access log needs of ctx's request.
func NewRequestInfo(ctx *fasthttp.RequestCtx) *RequestInfo {
	h := &ctx.Request.Header
	return &RequestInfo{RemoteAddr: ctx.RemoteAddr().String(), Method: string(h.Method()), Host: string(h.Host()),
		URI: string(h.RequestURI()), Proto: string(h.Protocol()), Referer: string(h.Referer()), UserAgent: string(h.UserAgent())}
}

// Result describes a forwarded request, for access logs.
type Result struct {
	Upstream string // last upstream tried, "" when none was available
	Status   int    // status sent to the client; 499 when the client went away
	Bytes    int64  // body bytes sent to the client
	Duration time.Duration
	Tries    int
}

var defaultSelector Selector = &RoundRobin{}

// Serve forwards the request in ctx. absURI, when not empty, replaces an
// absolute-form target (see validRequest); bodyIdle is the idle timeout of
// the client's body (0: none).
func (h *Handler) Serve(ctx *fasthttp.RequestCtx, absURI string, bodyIdle time.Duration) {
	x := &exchange{h: h, ctx: ctx, start: time.Now()}
	if !h.serve(ctx, absURI, bodyIdle, x) {
		x.done()
	}
}

// exchange is what a request needs until its response body is sent, in
// one allocation: its result and the body stream.
type exchange struct {
	h     *Handler
	ctx   *fasthttp.RequestCtx
	start time.Time
	res   Result
	body  upstreamBody
}

// done is called once the response is complete.
func (x *exchange) done() {
	if x.h.Done != nil {
		x.res.Duration = time.Since(x.start)
		x.h.Done(NewRequestInfo(x.ctx), &x.res)
	}
}

// serve forwards the request. It returns true when it handed x to a
// streamed body, which calls x.done once the body is sent.
func (h *Handler) serve(ctx *fasthttp.RequestCtx, absURI string, bodyIdle time.Duration, x *exchange) bool {
	start, res := x.start, &x.res
	ups := h.Pool.Upstreams()
	sel := h.Selector
	if sel == nil {
		sel = defaultSelector
	}
	// Only a selector that looks at the client gets its address: making
	// the string costs two allocations per request.
	client := ""
	switch sel.(type) {
	case *RoundRobin, *LeastConn:
	default:
		client = ctx.RemoteAddr().String()
	}
	u := sel.Select(ups, client)
	if u == nil {
		res.Status = fasthttp.StatusServiceUnavailable
		plainError(ctx, "503 Service Unavailable: no backend available\n", res.Status)
		return false
	}
	tr := h.Transport
	if tr == nil {
		tr = DefaultTransport()
	}
	out := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(out)
	upgrade, body := prepareRequest(ctx, out, absURI, h.TrustForwarded, bodyIdle)
	replayable := retryable(&ctx.Request.Header) && !hasBody(&ctx.Request)

	maxTries := h.Retry.MaxTries
	if maxTries <= 0 {
		maxTries = 3
	}
	maxTries = min(maxTries, len(ups))
	retryFor := h.Retry.Duration
	if retryFor <= 0 {
		retryFor = 5 * time.Second
	}

	fresh := ctx.ConnRequestNum() <= 1 // see Transport.keptAlive
	var tried []*Upstream
	alt := func(exclude *Upstream) *Upstream { return h.alternative(ups, client, append(tried, exclude)) }
	resp := fasthttp.AcquireResponse()
	for {
		res.Tries++
		c, got, reused, err := tr.connect(u, fresh, alt, func(x *Upstream, err error) { h.connectFailed(x, err, tr) })
		if err != nil {
			// Nothing reached any upstream, so any request may go elsewhere.
			u.requests.Add(1)
			h.connectFailed(u, err, tr)
			if next := h.next(ups, client, &tried, u, res.Tries, maxTries, start, retryFor); next != nil {
				u = next
				continue
			}
			return h.fail(ctx, resp, res, u, err)
		}
		u = got
		res.Upstream = u.Addr
		u.requests.Add(1)
		u.active.Add(1)
		br := tr.readers.Get().(*bufio.Reader)
		br.Reset(c)
		if replayable {
			u.wait(c)
		}
		if cl := ctx.Request.Header.ContentLength(); cl == -1 || cl > largeBody {
			tr.relaxUnacked(c)
		}
		err = tr.roundTrip(c, out, resp, br)
		aborted := replayable && u.answered(c)
		if err == nil {
			return h.relay(ctx, tr, u, c, br, resp, upgrade, x)
		}
		c.Close()
		tr.putReader(br)
		u.active.Add(-1)
		resp.Reset()
		if cerr := clientErr(body, err); cerr != nil {
			// Answered as such, never retried, never the upstream's.
			fasthttp.ReleaseResponse(resp)
			return clientFailed(ctx, res, cerr)
		}
		if ctx.Err() != nil {
			res.Status = 499 // the server is shutting down or the client left
			fasthttp.ReleaseResponse(resp)
			return false
		}
		bad := errors.Is(err, errResponseHead)
		if !bad {
			u.errors.Add(1)
			u.latency.Observe(time.Since(start))
			switch {
			case aborted:
				// Another request found u unreachable: it is out already.
			case isUnreachable(err):
				h.Passive.unreachable(h.Pool, u, tr)
			case reused && errors.Is(err, io.EOF):
				// A kept-alive connection the upstream had just closed
				// says nothing about its health.
			default:
				h.Passive.fail(h.Pool, u)
			}
		}
		// Once the request was written, only a replayable one may go
		// elsewhere, and never for an answer any upstream would give again.
		if replayable && !bad {
			if next := h.next(ups, client, &tried, u, res.Tries, maxTries, start, retryFor); next != nil {
				u = next
				continue
			}
		}
		return h.fail(ctx, resp, res, u, err)
	}
}

// fail answers the client after the last attempt failed.
func (h *Handler) fail(ctx *fasthttp.RequestCtx, resp *fasthttp.Response, res *Result, u *Upstream, err error) bool {
	fasthttp.ReleaseResponse(resp)
	res.Upstream = u.Addr
	res.Status = fasthttp.StatusBadGateway
	if errors.Is(err, fasthttp.ErrTimeout) || isTimeout(err) {
		res.Status = fasthttp.StatusGatewayTimeout
	}
	plainError(ctx, fasthttp.StatusMessage(res.Status)+"\n", res.Status)
	return false
}

// clientErr returns the client's part in a failed attempt, or nil: its
// body broke or stalled, or its head cannot be written upstream.
func clientErr(body *requestBody, err error) error {
	if body != nil && body.err != nil {
		return body.err
	}
	if errors.Is(err, errRequestUnwritable) {
		return err
	}
	return nil
}

// clientFailed answers a request the client got wrong (a body that broke
// or stalled, a head that cannot be forwarded): 408 when it stalled, 400
// otherwise; the connection closes, as the rest of the body cannot be
// found.
func clientFailed(ctx *fasthttp.RequestCtx, res *Result, err error) bool {
	res.Status = fasthttp.StatusBadRequest
	if errors.Is(err, fasthttp.ErrTimeout) || isTimeout(err) {
		res.Status = fasthttp.StatusRequestTimeout
	}
	plainError(ctx, fasthttp.StatusMessage(res.Status)+"\n", res.Status)
	ctx.SetConnectionClose()
	return false
}

// connectFailed records a failed connect to u: a refused one takes it out
// for a while, one that timed out until it answers again.
func (h *Handler) connectFailed(u *Upstream, err error, tr *Transport) {
	u.errors.Add(1)
	if isUnreachable(err) {
		h.Passive.unreachable(h.Pool, u, tr)
	} else {
		h.Passive.fail(h.Pool, u)
	}
}

// isUnreachable reports a peer that does not answer at all: a connect that
// timed out, or sent bytes never acknowledged (UnackedTimeout).
func isUnreachable(err error) bool {
	var ne net.Error
	return errors.Is(err, syscall.ETIMEDOUT) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.As(err, &ne) && ne.Timeout() && isDial(err)
}

func isDial(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// relay copies the upstream's response head to ctx and streams its body,
// if any, after the handler returns. It owns c, br and resp.
func (h *Handler) relay(ctx *fasthttp.RequestCtx, tr *Transport, u *Upstream, c *upConn, br *bufio.Reader, resp *fasthttp.Response, upgrade string, x *exchange) bool {
	start, res := x.start, &x.res
	status := resp.StatusCode()
	res.Status = status
	if status == fasthttp.StatusSwitchingProtocols {
		u.active.Add(-1)
		u.latency.Observe(time.Since(start))
		if upgrade == "" || !strings.EqualFold(string(resp.Header.Peek("Upgrade")), upgrade) {
			// A switch the client did not ask for cannot be relayed.
			c.Close()
			tr.putReader(br)
			fasthttp.ReleaseResponse(resp)
			res.Status = fasthttp.StatusBadGateway
			plainError(ctx, "502 Bad Gateway\n", res.Status)
			return false
		}
		copyResponseHead(&ctx.Response.Header, &resp.Header, true)
		fasthttp.ReleaseResponse(resp)
		switchProtocols(ctx, c, br, tr)
		return false
	}
	copyResponseHead(&ctx.Response.Header, &resp.Header, false)
	stream := resp.BodyStream()
	if stream == nil { // no body: the connection is free now
		clean := br.Buffered() == 0 && !resp.ConnectionClose()
		tr.finish(u, c, br, clean)
		fasthttp.ReleaseResponse(resp)
		u.active.Add(-1)
		u.latency.Observe(time.Since(start))
		if ctx.IsHead() {
			ctx.Response.SkipBody = true
		}
		return false
	}
	size := resp.Header.ContentLength()
	if size < 0 {
		size = -1 // chunked or until close: the client gets it chunked
	}
	x.body = upstreamBody{
		tr: tr, u: u, c: c, br: br, resp: resp, stream: stream,
		trailer: &ctx.Response.Header, x: x,
	}
	ctx.Response.SetBodyStream(&x.body, size)
	return true
}

// upstreamBody streams an upstream's response body to the client. At its
// end the connection goes back to the pool only if the response ended
// exactly where its framing said and the upstream did not ask to close.
type upstreamBody struct {
	tr      *Transport
	u       *Upstream
	c       *upConn
	br      *bufio.Reader
	resp    *fasthttp.Response
	stream  io.Reader
	trailer *fasthttp.ResponseHeader
	x       *exchange // its result is counted, its done called at the end
	eof     bool
	closed  bool
}

func (b *upstreamBody) Read(p []byte) (int, error) {
	n, err := b.stream.Read(p)
	b.x.res.Bytes += int64(n)
	if err == io.EOF {
		b.eof = true
		b.copyTrailers()
	} else if err != nil {
		b.u.errors.Add(1)
	}
	return n, err
}

// copyTrailers hands the trailer fields the upstream declared and sent to
// the client's response, which fasthttp writes after the last chunk.
func (b *upstreamBody) copyTrailers() {
	for _, name := range b.resp.Header.PeekTrailerKeys() {
		if v := b.resp.Header.PeekBytes(name); len(v) > 0 {
			b.trailer.SetBytesKV(name, v)
		}
	}
}

// Close is called by fasthttp once the body was written, or abandoned.
func (b *upstreamBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	clean := b.eof && b.br.Buffered() == 0 && !b.resp.ConnectionClose()
	b.tr.finish(b.u, b.c, b.br, clean)
	fasthttp.ReleaseResponse(b.resp)
	b.u.active.Add(-1)
	b.u.latency.Observe(time.Since(b.x.start))
	if !b.eof {
		b.x.res.Status = 499 // the client left, or the upstream broke mid-body
	}
	b.x.done()
	return nil
}

// finish releases a connection after a response: back to the pool when
// clean, closed otherwise.
func (t *Transport) finish(u *Upstream, c *upConn, br *bufio.Reader, clean bool) {
	t.putReader(br)
	if clean {
		t.release(u, c)
	} else {
		c.Close()
	}
}

func (t *Transport) putReader(br *bufio.Reader) {
	br.Reset(nil)
	t.readers.Put(br)
}

// next returns another upstream to try, or nil when retries are exhausted.
func (h *Handler) next(ups []*Upstream, client string, tried *[]*Upstream, failed *Upstream, tries, maxTries int, start time.Time, retryFor time.Duration) *Upstream {
	*tried = append(*tried, failed)
	if tries >= maxTries || time.Since(start) >= retryFor {
		return nil
	}
	return h.alternative(ups, client, *tried)
}

// alternative picks an upstream that is not in tried.
func (h *Handler) alternative(ups []*Upstream, client string, tried []*Upstream) *Upstream {
	rest := make([]*Upstream, 0, len(ups))
	for _, u := range ups {
		if !contains(tried, u) {
			rest = append(rest, u)
		}
	}
	sel := h.Selector
	if sel == nil {
		sel = defaultSelector
	}
	return sel.Select(rest, client)
}

func contains(s []*Upstream, u *Upstream) bool {
	for _, x := range s {
		if x == u {
			return true
		}
	}
	return false
}

// retryable reports an idempotent method (RFC 9110 section 9.2.2).
func retryable(h *fasthttp.RequestHeader) bool {
	switch string(h.Method()) {
	case fasthttp.MethodGet, fasthttp.MethodHead, fasthttp.MethodOptions, fasthttp.MethodPut, fasthttp.MethodDelete, fasthttp.MethodTrace:
		return true
	}
	return false
}

// hasBody reports a request with a body, which can be sent only once:
// a Content-Length above 0, or chunked (fasthttp's -1). A request has no
// body without either (fasthttp's -2).
func hasBody(r *fasthttp.Request) bool {
	cl := r.Header.ContentLength()
	return cl > 0 || cl == -1
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// plainError writes a short plain-text error.
func plainError(ctx *fasthttp.RequestCtx, msg string, code int) {
	ctx.Response.Header.SetContentType("text/plain; charset=utf-8")
	ctx.Response.Header.Set("X-Content-Type-Options", "nosniff")
	ctx.SetStatusCode(code)
	ctx.SetBodyString(msg)
}

var _ context.Context = (*fasthttp.RequestCtx)(nil)
