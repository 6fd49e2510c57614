package lb

import (
	"bytes"
	"io"
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

// Hop-by-hop fields, never forwarded in either direction (RFC 9110 section
// 7.6.1), plus the proxy authentication pair, which belongs to this hop too,
// and Expect, which fasthttp answered already. Transfer-Encoding and
// Content-Length are fasthttp's to write.
var hopHeaders = [][]byte{
	[]byte("Connection"), []byte("Proxy-Connection"), []byte("Keep-Alive"), []byte("Proxy-Authenticate"),
	[]byte("Proxy-Authorization"), []byte("Te"), []byte("Upgrade"), []byte("Expect"),
}

// prepareRequest fills out, the request sent upstream, from the client's
// request in ctx: its head without hop-by-hop fields, the forwarding
// fields, the target (absURI when the client sent absolute-form), and the
// body, streamed. It returns the protocol the client asked to switch to
// (WebSocket), or "".
func prepareRequest(ctx *fasthttp.RequestCtx, out *fasthttp.Request, absURI string, trust bool, bodyIdle time.Duration) (upgrade string, body *requestBody) {
	in := &ctx.Request.Header
	in.CopyTo(&out.Header)
	h := &out.Header
	if in.ConnectionUpgrade() {
		upgrade = string(in.Peek("Upgrade"))
	}
	// "TE: trailers" says the client takes trailers; keep saying it.
	trailers := hasToken(in.Peek("Te"), []byte("trailers"))
	// Every Connection line counts, and every X-Forwarded-For copy: one
	// pass over the fields finds both.
	var xffb [256]byte
	xff := xffb[:0]
	for k, v := range in.All() {
		switch {
		case len(k) == len("Connection") && bytes.EqualFold(k, strConnection):
			removeListed(v, h.DelBytes)
		case len(k) == len("X-Forwarded-For") && bytes.EqualFold(k, strXFF):
			if len(xff) > 0 {
				xff = append(xff, ", "...)
			}
			xff = append(xff, v...)
		}
	}
	for _, k := range hopHeaders {
		h.DelBytes(k)
	}
	h.ResetConnectionClose() // the upstream connection stays open
	h.SetProtocol("HTTP/1.1")
	if absURI != "" {
		h.SetRequestURI(absURI)
	}
	if upgrade != "" {
		h.Set("Connection", "Upgrade")
		h.Set("Upgrade", upgrade)
	}
	if trailers {
		h.Set("Te", "trailers")
	}

	// The client's forwarding fields, every copy, give way to ours; its
	// X-Forwarded-For copies become one list that ends with the client.
	var ipb [64]byte
	ip := appendIP(ipb[:0], ctx.RemoteAddr())
	if len(xff) > 0 {
		xff = append(xff, ", "...)
	}
	h.DelBytes(strXFF)
	h.SetBytesKV(strXFF, append(xff, ip...))
	if !trust || len(in.Peek("X-Real-Ip")) == 0 || len(in.Peek("X-Forwarded-Proto")) == 0 {
		h.Del("X-Real-Ip")
		h.Del("X-Forwarded-Proto")
		h.Del("X-Forwarded-Host")
		h.SetBytesV("X-Real-Ip", ip)
		h.Set("X-Forwarded-Proto", "http")
		h.SetBytesV("X-Forwarded-Host", in.Host())
	}

	switch {
	case !hasBody(&ctx.Request):
		// no body: the head, copied above, frames it as the client did
	case ctx.Request.IsBodyStream():
		body = &requestBody{r: ctx.RequestBodyStream(), in: in, out: h, conn: ctx.Conn(), idle: bodyIdle}
		out.SetBodyStream(body, in.ContentLength())
	default:
		out.SetBodyRaw(ctx.Request.Body())
	}
	return upgrade, body
}

var (
	strConnection = []byte("Connection")
	strXFF        = []byte("X-Forwarded-For")
)

// requestBody streams the client's body upstream; at its end it copies the
// client's trailer fields, which fasthttp writes after the last chunk. The
// client's body timeout is an idle timeout: reads push the client
// connection's deadline on (see rearm).
type requestBody struct {
	r       io.Reader
	in, out *fasthttp.RequestHeader
	conn    net.Conn
	idle    time.Duration
	armed   time.Time
	// err is why reading the client's body failed: a bad chunk, a
	// timeout, a client gone. The client's fault, never the upstream's.
	err error
}

func (b *requestBody) Read(p []byte) (int, error) {
	if b.idle > 0 {
		rearm(&b.armed, b.idle, b.conn.SetReadDeadline)
	}
	n, err := b.r.Read(p)
	switch {
	case err == io.EOF:
		for _, k := range b.in.PeekTrailerKeys() {
			if v := b.in.PeekBytes(k); len(v) > 0 {
				b.out.SetBytesKV(k, v)
			}
		}
	case err != nil:
		b.err = err
	}
	return n, err
}

// copyResponseHead copies an upstream's response head to the client's,
// without hop-by-hop fields (but with Connection and Upgrade on a 101).
func copyResponseHead(dst, src *fasthttp.ResponseHeader, switching bool) {
	dst.SetStatusCode(src.StatusCode())
	dst.SetStatusMessage(src.StatusMessage())
	// Every Connection line counts; a response rarely has more than one.
	var connb [4][]byte
	conn := connb[:0]
	for k, v := range src.All() {
		if len(k) == len("Connection") && bytes.EqualFold(k, strConnection) {
			conn = append(conn, v)
		}
	}
	for k, v := range src.All() {
		if isHop(k) || listed(conn, k) {
			continue
		}
		dst.AddBytesKV(k, v)
	}
	if switching {
		dst.Set("Connection", "Upgrade")
		dst.SetBytesV("Upgrade", src.Peek("Upgrade"))
	}
}

// removeListed deletes the fields a Connection line lists, but never those
// that frame or route the message: a client that lists Host must not turn
// its own request into an upstream's error.
func removeListed(connection []byte, del func([]byte)) {
	for f := range bytes.SplitSeq(connection, []byte(",")) {
		if f = bytes.TrimSpace(f); len(f) > 0 && !endToEnd(f) {
			del(f)
		}
	}
}

func endToEnd(k []byte) bool {
	return bytes.EqualFold(k, []byte("Host")) || bytes.EqualFold(k, []byte("Content-Length")) ||
		bytes.EqualFold(k, []byte("Transfer-Encoding"))
}

// listed reports whether any Connection line lists k.
func listed(conn [][]byte, k []byte) bool {
	for _, c := range conn {
		if hasToken(c, k) {
			return true
		}
	}
	return false
}

func isHop(k []byte) bool {
	for _, h := range hopHeaders {
		if bytes.EqualFold(k, h) {
			return true
		}
	}
	return false
}

// hasToken reports whether a comma list holds token (case-insensitive).
func hasToken(list, token []byte) bool {
	for f := range bytes.SplitSeq(list, []byte(",")) {
		if bytes.EqualFold(bytes.TrimSpace(f), token) {
			return true
		}
	}
	return false
}

// appendIP appends a client address's IP.
func appendIP(b []byte, a net.Addr) []byte {
	if ta, ok := a.(*net.TCPAddr); ok {
		if ap := ta.AddrPort(); ap.IsValid() {
			return ap.Addr().Unmap().AppendTo(b)
		}
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return append(b, a.String()...)
	}
	return append(b, host...)
}
