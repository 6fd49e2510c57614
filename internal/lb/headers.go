package lb

import (
	"bytes"
	"io"
	"net"

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
func prepareRequest(ctx *fasthttp.RequestCtx, out *fasthttp.Request, absURI string, trust bool) (upgrade string) {
	in := &ctx.Request.Header
	in.CopyTo(&out.Header)
	h := &out.Header
	if in.ConnectionUpgrade() {
		upgrade = string(in.Peek("Upgrade"))
	}
	// "TE: trailers" says the client takes trailers; keep saying it.
	trailers := hasToken(in.Peek("Te"), []byte("trailers"))
	removeHop(in.Peek("Connection"), h.DelBytes)
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

	var ipb [64]byte
	ip := appendIP(ipb[:0], ctx.RemoteAddr())
	if prior := in.Peek("X-Forwarded-For"); len(prior) > 0 {
		var b [256]byte
		h.SetBytesV("X-Forwarded-For", append(append(append(b[:0], prior...), ", "...), ip...))
	} else {
		h.SetBytesV("X-Forwarded-For", ip)
	}
	if !trust || len(in.Peek("X-Real-Ip")) == 0 || len(in.Peek("X-Forwarded-Proto")) == 0 {
		h.SetBytesV("X-Real-Ip", ip)
		h.Set("X-Forwarded-Proto", "http")
		h.SetBytesV("X-Forwarded-Host", in.Host())
	}

	switch {
	case !hasBody(&ctx.Request):
		// no body: the head, copied above, frames it as the client did
	case ctx.Request.IsBodyStream():
		out.SetBodyStream(&requestBody{r: ctx.RequestBodyStream(), in: in, out: h}, in.ContentLength())
	default:
		out.SetBodyRaw(ctx.Request.Body())
	}
	return upgrade
}

// requestBody streams the client's body upstream; at its end it copies the
// client's trailer fields, which fasthttp writes after the last chunk.
type requestBody struct {
	r       io.Reader
	in, out *fasthttp.RequestHeader
}

func (b *requestBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		for _, k := range b.in.PeekTrailerKeys() {
			if v := b.in.PeekBytes(k); len(v) > 0 {
				b.out.SetBytesKV(k, v)
			}
		}
	}
	return n, err
}

// copyResponseHead copies an upstream's response head to the client's,
// without hop-by-hop fields (but with Connection and Upgrade on a 101).
func copyResponseHead(dst, src *fasthttp.ResponseHeader, switching bool) {
	dst.SetStatusCode(src.StatusCode())
	dst.SetStatusMessage(src.StatusMessage())
	conn := src.Peek("Connection")
	for k, v := range src.All() {
		if isHop(k) || len(conn) > 0 && hasToken(conn, k) {
			continue
		}
		dst.AddBytesKV(k, v)
	}
	if switching {
		dst.Set("Connection", "Upgrade")
		dst.SetBytesV("Upgrade", src.Peek("Upgrade"))
	}
}

// removeHop deletes the hop-by-hop fields and those that the Connection
// field lists.
func removeHop(connection []byte, del func([]byte)) {
	for f := range bytes.SplitSeq(connection, []byte(",")) {
		if f = bytes.TrimSpace(f); len(f) > 0 {
			del(f)
		}
	}
	for _, k := range hopHeaders {
		del(k)
	}
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
