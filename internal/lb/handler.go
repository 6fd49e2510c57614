package lb

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Handler forwards requests to an upstream of Pool chosen by Selector,
// retrying safe requests on another upstream when the first one fails
// before anything reached the client.
type Handler struct {
	// Pool holds the upstreams. Required.
	Pool *Pool
	// Selector picks an upstream. Default: round-robin.
	Selector Selector
	// Transport carries requests to upstreams. Default: a shared
	// NewTransport(TransportConfig{}).
	Transport http.RoundTripper
	// Retry bounds the retries.
	Retry Retry
	// Passive configures passive health marking.
	Passive PassiveHealth
	// TrustForwarded keeps X-Real-IP, X-Forwarded-Proto and X-Forwarded-Host
	// set by a proxy in front; otherwise they are overwritten. Default false.
	TrustForwarded bool
	// Done, when set, is called once per request after the response is
	// complete (for access logs). It must not keep req or res.
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

// RequestInfo is what an access log needs of a request; the fast path
// fills it without building an *http.Request.
type RequestInfo struct {
	RemoteAddr, Method, Host, URI, Proto, Referer, UserAgent string
}

func requestInfo(r *http.Request) *RequestInfo {
	return &RequestInfo{RemoteAddr: r.RemoteAddr, Method: r.Method, Host: r.Host, URI: r.RequestURI,
		Proto: r.Proto, Referer: r.Header.Get("Referer"), UserAgent: r.Header.Get("User-Agent")}
}

// Result describes a forwarded request, for access logs.
type Result struct {
	Upstream string // last upstream tried, "" when none was available
	Status   int    // status sent to the client; 499 when the client went away
	Bytes    int64  // body bytes sent to the client
	Duration time.Duration
	Tries    int
}

var (
	defaultTransportOnce sync.Once
	defaultTransport     *http.Transport
)

// DefaultTransport is the transport handlers use when none is set.
func DefaultTransport() *http.Transport {
	defaultTransportOnce.Do(func() { defaultTransport = NewTransport(TransportConfig{}) })
	return defaultTransport
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// Hop-by-hop headers, removed in both directions (RFC 9110 section 7.6.1).
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	res := Result{}
	h.serve(w, r, start, &res)
	if h.Done != nil {
		res.Duration = time.Since(start)
		h.Done(requestInfo(r), &res)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, start time.Time, res *Result) {
	ups := h.Pool.Upstreams()
	sel := h.Selector
	if sel == nil {
		sel = defaultSelector
	}
	u := sel.Select(ups, r.RemoteAddr)
	if u == nil {
		res.Status = http.StatusServiceUnavailable
		plainError(w, "503 Service Unavailable: no backend available\n", res.Status)
		return
	}
	tr := h.Transport
	if tr == nil {
		tr = DefaultTransport()
	}
	upgrade := prepareRequestHeader(r, h.TrustForwarded)

	maxTries := h.Retry.MaxTries
	if maxTries <= 0 {
		maxTries = 3
	}
	maxTries = min(maxTries, len(ups))
	retryFor := h.Retry.Duration
	if retryFor <= 0 {
		retryFor = 5 * time.Second
	}
	safe := retryable(r)

	var tried []*Upstream
	var resp *http.Response
	for {
		res.Tries++
		res.Upstream = u.Addr
		u.requests.Add(1)
		u.active.Add(1)
		var err error
		resp, err = tr.RoundTrip(outRequest(r, u.Addr, upgrade))
		if err != nil {
			u.active.Add(-1)
			if r.Context().Err() != nil {
				res.Status = 499 // the client went away; not the upstream's fault
				return
			}
			u.errors.Add(1)
			u.latency.Observe(time.Since(start))
			h.Passive.fail(h.Pool, u)
			if safe || isDialError(err) && (r.Body == nil || r.Body == http.NoBody) {
				if next := h.next(ups, r.RemoteAddr, &tried, u, res.Tries, maxTries, start, retryFor); next != nil {
					u = next
					continue
				}
			}
			res.Status = http.StatusBadGateway
			if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
				res.Status = http.StatusGatewayTimeout
			}
			plainError(w, http.StatusText(res.Status)+"\n", res.Status)
			return
		}
		if resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable {
			h.Passive.fail(h.Pool, u)
			if safe {
				if next := h.next(ups, r.RemoteAddr, &tried, u, res.Tries, maxTries, start, retryFor); next != nil {
					resp.Body.Close()
					u.errors.Add(1)
					u.active.Add(-1)
					u = next
					continue
				}
			}
		}
		break
	}
	defer u.active.Add(-1)

	if resp.StatusCode == http.StatusSwitchingProtocols {
		res.Status = resp.StatusCode
		h.switchProtocols(w, resp)
		return
	}

	hdr := w.Header()
	for k, vv := range resp.Header {
		hdr[k] = vv
	}
	removeHopHeaders(hdr)
	if len(resp.Trailer) > 0 {
		names := make([]string, 0, len(resp.Trailer))
		for k := range resp.Trailer {
			names = append(names, k)
		}
		hdr["Trailer"] = []string{strings.Join(names, ", ")}
	}
	res.Status = resp.StatusCode
	w.WriteHeader(resp.StatusCode)

	n, err := copyBody(w, resp.Body, resp.ContentLength == -1)
	res.Bytes = n
	resp.Body.Close()
	u.latency.Observe(time.Since(start))
	if err != nil {
		// Headers are gone already: a retry would send a second response.
		// Abort so the client sees a broken response, not a short one.
		if !errors.Is(err, errClientWrite) {
			u.errors.Add(1)
		}
		if h.Done != nil {
			res.Duration = time.Since(start)
			h.Done(requestInfo(r), res)
		}
		panic(http.ErrAbortHandler)
	}
	for k, vv := range resp.Trailer {
		hdr[http.TrailerPrefix+k] = vv
	}
}

var defaultSelector Selector = &RoundRobin{}

// next returns another upstream to try, or nil when retries are exhausted.
func (h *Handler) next(ups []*Upstream, client string, tried *[]*Upstream, failed *Upstream, tries, maxTries int, start time.Time, retryFor time.Duration) *Upstream {
	*tried = append(*tried, failed)
	if tries >= maxTries || time.Since(start) >= retryFor {
		return nil
	}
	rest := make([]*Upstream, 0, len(ups))
	for _, u := range ups {
		if !contains(*tried, u) {
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

// retryable reports whether r may be sent again: an idempotent method
// without a body (a body read once cannot be replayed).
func retryable(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodTrace:
		return r.Body == nil || r.Body == http.NoBody
	}
	return false
}

// isDialError reports a failure to connect, when nothing was sent, so any
// request without a body can go elsewhere.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// outRequest makes the upstream request: a shallow copy of r sharing its
// header map (already prepared) and body. The Host header is kept.
func outRequest(r *http.Request, addr string, upgrade string) *http.Request {
	out := new(http.Request)
	*out = *r
	out.URL = &url.URL{Scheme: "http", Host: addr, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	out.RequestURI = ""
	out.Close = false
	out.Proto, out.ProtoMajor, out.ProtoMinor = "HTTP/1.1", 1, 1
	if r.ContentLength == 0 {
		out.Body = nil // lets the transport retry a stale keep-alive connection itself
	}
	if upgrade != "" {
		out.Header["Connection"] = []string{"Upgrade"}
		out.Header["Upgrade"] = []string{upgrade}
	}
	return out
}

// prepareRequestHeader removes hop-by-hop headers and sets the forwarding
// headers in place (the handler owns r). It returns the Upgrade protocol
// when the client asked for one (WebSocket).
func prepareRequestHeader(r *http.Request, trust bool) (upgrade string) {
	hdr := r.Header
	if c := hdr["Connection"]; len(c) > 0 {
		for _, v := range c {
			if headerHasToken(v, "upgrade") {
				upgrade = hdr.Get("Upgrade")
			}
		}
	}
	removeHopHeaders(hdr)

	ip := clientIP(r.RemoteAddr)
	// One allocation holds every value we set.
	vals := new([4]string)
	vals[0] = ip
	if prior := hdr["X-Forwarded-For"]; len(prior) > 0 {
		vals[0] = strings.Join(prior, ", ") + ", " + ip
	}
	hdr["X-Forwarded-For"] = vals[0:1:1]
	if trust && len(hdr["X-Real-Ip"]) > 0 && len(hdr["X-Forwarded-Proto"]) > 0 {
		return upgrade
	}
	vals[1], vals[2], vals[3] = ip, "http", r.Host
	if r.TLS != nil {
		vals[2] = "https"
	}
	hdr["X-Real-Ip"] = vals[1:2:2]
	hdr["X-Forwarded-Proto"] = vals[2:3:3]
	hdr["X-Forwarded-Host"] = vals[3:4:4]
	return upgrade
}

func removeHopHeaders(hdr http.Header) {
	if c := hdr["Connection"]; len(c) > 0 {
		for _, v := range c {
			for _, f := range strings.Split(v, ",") {
				if f = textproto.TrimString(f); f != "" {
					delete(hdr, textproto.CanonicalMIMEHeaderKey(f))
				}
			}
		}
	}
	for _, k := range hopHeaders {
		if _, ok := hdr[k]; ok {
			delete(hdr, k)
		}
	}
}

func headerHasToken(v, token string) bool {
	for _, f := range strings.Split(v, ",") {
		if strings.EqualFold(textproto.TrimString(f), token) {
			return true
		}
	}
	return false
}

var errClientWrite = errors.New("writing to client failed")

// copyBody streams the upstream body to the client with a pooled buffer.
// Bodies of unknown length are flushed as they come (server-sent events,
// long polls).
func copyBody(w http.ResponseWriter, body io.Reader, flush bool) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var fl http.Flusher
	if flush {
		fl, _ = w.(http.Flusher)
	}
	var n int64
	for {
		nr, rerr := body.Read(buf)
		if nr > 0 {
			nw, werr := w.Write(buf[:nr])
			n += int64(nw)
			if werr != nil {
				return n, errClientWrite
			}
			if fl != nil {
				fl.Flush()
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// switchProtocols joins client and upstream after a 101 answer (WebSocket).
func (h *Handler) switchProtocols(w http.ResponseWriter, resp *http.Response) {
	back, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		resp.Body.Close()
		plainError(w, "502 Bad Gateway: upstream switched protocols without a connection\n", http.StatusBadGateway)
		return
	}
	defer back.Close()
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	// Written by hand: resp.Write would try to copy the upgraded body.
	brw.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	resp.Header.Write(brw)
	brw.WriteString("\r\n")
	if err := brw.Flush(); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(back, brw); done <- struct{}{} }()
	go func() { io.Copy(conn, back); done <- struct{}{} }()
	<-done
}

// plainError writes a short plain-text error.
func plainError(w http.ResponseWriter, msg string, code int) {
	h := w.Header()
	h["Content-Type"] = []string{"text/plain; charset=utf-8"}
	h["X-Content-Type-Options"] = []string{"nosniff"}
	w.WriteHeader(code)
	io.WriteString(w, msg)
}

var _ http.Handler = (*Handler)(nil)
