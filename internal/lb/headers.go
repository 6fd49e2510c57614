package lb

import (
	"bytes"
	"io"
	"net"
	"strings"

	"github.com/valyala/fasthttp"
)

// Hop-by-hop fields, never forwarded in either direction (RFC 9110 section
// 7.6.1), plus the proxy authentication pair, which belongs to this hop too.
// Transfer-Encoding and Content-Length are fasthttp's to write.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Upgrade", "Expect",
}

// prepareRequest fills out, the request sent upstream, from the client's
// request in ctx: its head without hop-by-hop fields, the forwarding
// fields, origin-form uri, and the body, streamed. It returns the protocol
// the client asked to switch to (WebSocket), or "".
func prepareRequest(ctx *fasthttp.RequestCtx, out *fasthttp.Request, uri string, trust bool) (upgrade string) {
	in := &ctx.Request.Header
	in.CopyTo(&out.Header)
	h := &out.Header
	if in.ConnectionUpgrade() {
		upgrade = string(in.Peek("Upgrade"))
	}
	// "TE: trailers" says the client takes trailers; keep saying it.
	trailers := headerHasToken(in.Peek("Te"), "trailers")
	removeHopHeaders(in.Peek("Connection"), h.Del)
	h.ResetConnectionClose() // the upstream connection stays open
	h.SetProtocol("HTTP/1.1")
	h.SetRequestURI(uri)
	if upgrade != "" {
		h.Set("Connection", "Upgrade")
		h.Set("Upgrade", upgrade)
	}
	if trailers {
		h.Set("Te", "trailers")
	}

	ip := addrIP(ctx.RemoteAddr())
	if prior := in.Peek("X-Forwarded-For"); len(prior) > 0 {
		h.Set("X-Forwarded-For", string(prior)+", "+ip)
	} else {
		h.Set("X-Forwarded-For", ip)
	}
	if !trust || len(in.Peek("X-Real-Ip")) == 0 || len(in.Peek("X-Forwarded-Proto")) == 0 {
		h.Set("X-Real-Ip", ip)
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
		if isHop(k) || headerHasToken(conn, string(k)) {
			continue
		}
		dst.AddBytesKV(k, v)
	}
	if switching {
		dst.Set("Connection", "Upgrade")
		dst.SetBytesV("Upgrade", src.Peek("Upgrade"))
	}
}

// removeHopHeaders deletes the hop-by-hop fields and those that the
// Connection field lists.
func removeHopHeaders(connection []byte, del func(string)) {
	for f := range strings.SplitSeq(string(connection), ",") {
		if f = strings.TrimSpace(f); f != "" {
			del(f)
		}
	}
	for _, k := range hopHeaders {
		del(k)
	}
}

func isHop(k []byte) bool {
	for _, h := range hopHeaders {
		if len(h) == len(k) && bytes.EqualFold(k, []byte(h)) {
			return true
		}
	}
	return false
}

func headerHasToken(v []byte, token string) bool {
	for f := range strings.SplitSeq(string(v), ",") {
		if strings.EqualFold(strings.TrimSpace(f), token) {
			return true
		}
	}
	return false
}

// addrIP returns the IP of a client address.
func addrIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
