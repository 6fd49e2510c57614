package conformance

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Request side: the client misbehaves, the backend records.

// B5: invalid requests get an error status and never reach a backend.
func TestInvalidRequests(t *testing.T) {
	get := func(lines ...string) string { return request("GET", "/echo?id=bad", lines...) }
	bare := func(head string) string { return head + "\r\n" } // a head without the Host request() adds
	hello := "5\r\nhello\r\n0\r\n\r\n"
	cases := []struct {
		name, req string
		want      []int
		// forwardable: the request may instead be forwarded, framed once,
		// with the body "hello".
		forwardable bool
	}{
		{"B5-host-with-at-sign", bare("GET / HTTP/1.1\r\nHost: a@evil\r\n"), []int{400}, false},
		{"B5-host-with-question-mark", bare("GET / HTTP/1.1\r\nHost: a?b\r\n"), []int{400}, false},
		{"B5-host-with-hash", bare("GET / HTTP/1.1\r\nHost: a#b\r\n"), []int{400}, false},
		{"B5-host-with-quote-and-angle-brackets", bare("GET / HTTP/1.1\r\nHost: a\"<b>\r\n"), []int{400}, false},
		{"B5-host-with-non-ASCII-bytes", bare("GET / HTTP/1.1\r\nHost: caf\xc3\xa9.test\r\n"), []int{400}, false},
		{"B5-bad-percent-escape-in-path", request("GET", "/%zz"), []int{400}, false},
		{"B5-two-host-headers", bare("GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n"), []int{400}, false},
		{"B5-HTTP-1.1-without-host", bare("GET / HTTP/1.1\r\n"), []int{400}, false},
		{"B5-content-length-and-transfer-encoding", request("POST", "/body", "Content-Length: 5", "Transfer-Encoding: chunked") + hello, []int{400}, true},
		{"B5-two-different-content-lengths", request("POST", "/body", "Content-Length: 5", "Content-Length: 6") + "hello!", []int{400}, false},
		// net/http answers an unsupported transfer coding with 501.
		{"B5-transfer-encoding-chunked-identity", request("POST", "/body", "Transfer-Encoding: chunked, identity") + hello, []int{400, 501}, false},
		{"B5-transfer-encoding-xchunked", request("POST", "/body", "Transfer-Encoding: xchunked") + hello, []int{400, 501}, false},
		{"B5-space-before-colon", get("X-Foo : bar"), []int{400}, false},
		{"B5-NUL-in-header-value", get("X-Foo: a\x00b"), []int{400}, false},
		{"B5-bare-CR-in-header-value", get("X-Foo: a\rb"), []int{400}, false},
		{"B5-invalid-method-token", strings.Replace(get(), "GET", "G<T", 1), []int{400}, false},
		{"B5-double-space-in-request-line", strings.Replace(get(), "GET ", "GET  ", 1), []int{400}, false},
		{"B5-HTTP-2.0-on-HTTP-1", strings.Replace(get(), "HTTP/1.1", "HTTP/2.0", 1), []int{505, 400}, false},
		// net/http allows MaxHeaderBytes plus 4 KiB of slack before its
		// 431, so the head is well over 64 KiB.
		// E8: identity is no transfer coding (RFC 9112 section 7); read as
		// "no body", what follows would become a second request.
		{"E8-transfer-encoding-identity", request("POST", "/body", "Transfer-Encoding: identity") + request("GET", "/smuggled"), []int{400, 501}, false},
		// E9: HAProxy takes at most 101 fields (tune.http.maxhdr).
		{"E9-200-header-fields", get(manyFields(200)...), []int{400, 431}, false},
		{"B5-request-head-over-64KiB", get("X-Big: " + strings.Repeat("b", 80<<10)), []int{431, 400}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachTarget(t, labSpec{}, func(c *check, l *lab) {
				cl := dial(c.t, l.addr)
				go cl.send(tc.req) // a target may answer before it has read it all
				r, err := cl.read("GET")
				if !c.ok(err, "the response") {
					return
				}
				eventually(300*time.Millisecond, func() bool { return len(l.requests()) > 0 })
				got := l.requests()
				switch {
				case slices.Contains(tc.want, r.status) && len(got) == 0:
					c.note("%d, not forwarded", r.status)
				case tc.forwardable && r.status == 200 && len(got) == 1:
					forwardedOnce(c, got[0])
				default:
					c.fail("got %s and %d requests reached the backend, want %v and none", r, len(got), tc.want)
				}
				for _, q := range got {
					if xfh := q.fields.get("X-Forwarded-Host"); xfh != "" && xfh != "conformance.test" {
						c.fail("X-Forwarded-Host %q reached the backend", xfh)
					}
				}
				if r.err == nil {
					nextIsOwn(c, cl, "the error")
				}
			})
		})
	}
}

// forwardedOnce accepts a request with both Content-Length and chunked
// Transfer-Encoding forwarded with one framing and the chunked body. RFC
// 9112 section 6.3 lets a proxy forward it so, Transfer-Encoding
// winning; a proxy that buffers may send Content-Length instead.
func forwardedOnce(c *check, r breq) {
	te, cl := r.fields.values("Transfer-Encoding"), r.fields.values("Content-Length")
	switch {
	case len(te)+len(cl) != 1:
		c.fail("forwarded with Transfer-Encoding %q and Content-Length %q, want one of them", te, cl)
	case string(r.body) != "hello" || r.err != nil:
		c.fail("forwarded with the body %q (%v), want \"hello\"", r.body, r.err)
	default:
		c.note("200, forwarded with Transfer-Encoding %q, Content-Length %q", te, cl)
	}
}

// manyFields returns n short header lines.
func manyFields(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "X-F" + strconv.Itoa(i) + ": v"
	}
	return out
}
