package conformance

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// Response side: the backend misbehaves.

// injected is a complete response hidden after another one: a client that
// ever reads it was handed bytes meant for someone else.
const injected = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nINJECTED"

// A1: extra bytes after a response never reach another client, and the
// upstream connection they came on is closed, not reused.
func TestExtraBytesAfterResponse(t *testing.T) {
	cases := []struct {
		name, method, answer, later string
		want                        int // the status client A gets when relayed
	}{
		{"A1-body-longer-than-content-length", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" + injected, "", 200},
		{"A1-extra-bytes-50ms-after-the-response", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", injected, 200},
		{"A1-body-after-HEAD-response", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + injected, "", 200},
		{"A1-body-after-204", "GET", "HTTP/1.1 204 No Content\r\n\r\n" + injected, "", 204},
		{"A1-body-after-304", "GET", "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n" + injected, "", 304},
		{"A1-bytes-after-chunked-terminator", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + injected, "", 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			answer := func(c *bconn) {
				raw(tc.answer)(c)
				if tc.later != "" {
					time.Sleep(50 * time.Millisecond)
					raw(tc.later)(c)
				}
			}
			eachTarget(t, labSpec{script: on("/trigger", answer)}, func(c *check, l *lab) {
				a := dial(c.t, l.addr)
				r, err := a.do(request(tc.method, "/trigger"), tc.method)
				if !c.ok(err, "client A's request") {
					return
				}
				wantBody := "hello"
				if tc.method == "HEAD" || tc.want != 200 {
					wantBody = ""
				}
				switch {
				case r.status == 502:
					c.note("A: 502")
				case r.status == tc.want && string(r.body) == wantBody && r.err == nil:
					c.note("A: %d with %d body bytes", r.status, len(r.body))
				default:
					c.fail("client A got %s body %.60q, want %d %q or 502", r, r.body, tc.want, wantBody)
				}
				// Clients B start once the extra bytes are with the target:
				// a reused upstream connection would hand them out now.
				time.Sleep(150 * time.Millisecond)
				otherClientsGetTheirOwn(c, l)
				a.closedWithin(100*time.Millisecond, time.Now()) // take in whatever else came
				if bytes.Contains(a.raw.Bytes(), []byte("INJECTED")) {
					c.fail("client A received the extra bytes: %.120q", a.raw.Bytes())
				}
				upstreamClosed(c, l.backends[0], "/trigger")
			})
		})
	}
}

// otherClientsGetTheirOwn sends 20 requests on new connections, 12 one
// after another and 8 at once: each must get its own answer.
func otherClientsGetTheirOwn(c *check, l *lab) {
	c.t.Helper()
	var mu sync.Mutex
	var wrong []string
	one := func() {
		w := "cannot connect"
		if cl, err := connect(c.t, l.addr); err == nil {
			w = echoes(cl)
		}
		if w != "" {
			mu.Lock()
			wrong = append(wrong, w)
			mu.Unlock()
		}
	}
	for range 12 {
		one()
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(one)
	}
	wg.Wait()
	if len(wrong) > 0 {
		c.fail("%d of 20 later clients on new connections did not get their own answer; first: %s", len(wrong), wrong[0])
	} else {
		c.note("20/20 later clients got their own answer")
	}
}

// upstreamClosed checks that the connection that carried path was closed
// by the target after that one request.
func upstreamClosed(c *check, b *backend, path string) {
	c.t.Helper()
	var st connState
	found := false
	eventually(2*time.Second, func() bool {
		st, found = b.connOf(path)
		return st.closed
	})
	switch {
	case !found:
		c.fail("the request for %s never reached the backend", path)
	case st.requests > 1:
		c.fail("the upstream connection of the bad response was reused for %d more requests", st.requests-1)
	case !st.closed:
		c.fail("the upstream connection of the bad response is still open 2s later: kept for reuse")
	default:
		c.note("upstream connection closed")
	}
}

// badAnswer is a response a backend should not send.
type badAnswer struct {
	name, answer string
	// relayed judges a response that is not a 502: "" when it is an
	// acceptable normalisation. nil: only a 502 is acceptable.
	relayed func(r *response) string
}

// A2: ambiguous framing: a 502, or one framing header whose body decodes
// to the intended bytes; never both headers, never a body whose end the
// client cannot find.
func TestAmbiguousResponseFraming(t *testing.T) {
	const body = "5\r\nhello\r\n0\r\n\r\n"
	runBadAnswers(t, []badAnswer{
		{"A2-TE-gzip-chunked-with-content-length", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 5\r\n\r\n" + body, oneFraming},
		{"A2-two-transfer-encoding-lines", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + body, oneFraming},
		{"A2-TE-chunked-with-content-length", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" + body, oneFraming},
	})
}

// oneFraming accepts a normalised response: one framing header (chunked
// last when it is Transfer-Encoding) and the intended payload.
func oneFraming(r *response) string {
	te, cl := r.fields.values("Transfer-Encoding"), r.fields.values("Content-Length")
	switch {
	case len(te) > 0 && len(cl) > 0:
		return fmt.Sprintf("both Transfer-Encoding %q and Content-Length %q", te, cl)
	case len(te) > 1 || len(cl) > 1:
		return fmt.Sprintf("several framing lines: Transfer-Encoding %q, Content-Length %q", te, cl)
	case len(te) == 1 && r.framing != byChunks:
		return fmt.Sprintf("Transfer-Encoding %q does not end in chunked", te[0])
	}
	return intact(r)
}

// intact accepts a 200 with the body "hello", well framed.
func intact(r *response) string {
	if r.status != 200 || string(r.body) != "hello" || r.err != nil {
		return fmt.Sprintf("%s with body %.60q, want 200 \"hello\"", r, r.body)
	}
	return ""
}

// A3: malformed response heads are never relayed as they came.
func TestMalformedResponseHeads(t *testing.T) {
	const ok = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	runBadAnswers(t, []badAnswer{
		{"A3-bare-CR-in-header-value", ok + "X-Bad: a\rb\r\n\r\nhello", intact},
		{"A3-NUL-in-header-value", ok + "X-Bad: a\x00b\r\n\r\nhello", intact},
		{"A3-space-in-header-name", ok + "X A: 1\r\n\r\nhello", intact},
		{"A3-content-length-plus-5", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", nil},
		{"A3-content-length-minus-1", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhello", nil},
		{"A3-two-different-content-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", nil},
		{"A3-status-code-2000", "HTTP/1.1 2000 OK\r\nContent-Length: 5\r\n\r\nhello", nil},
		{"A3-bare-LF-line-ends", "HTTP/1.1 200 OK\nContent-Length: 5\nX-Lf: 1\n\nhello", crlfOnly},
		// E10: a bad head after an interim one is refused at once too.
		{"E10-bare-LF-head-after-100-continue", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\nContent-Length: 5\n\nhello", crlfOnly},
		{"A3-chunk-data-not-followed-by-CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloJUNK\r\n0\r\n\r\n", aborted},
	})
}

// crlfOnly accepts a response normalised to CRLF line ends.
func crlfOnly(r *response) string {
	if strings.Contains(strings.ReplaceAll(r.head, "\r\n", ""), "\n") {
		return fmt.Sprintf("head relayed with bare LF line ends: %.120q", r.head)
	}
	return intact(r)
}

// aborted accepts a response whose headers went out before the bad chunk
// was seen, if the client can tell it was cut short; a complete,
// well-formed response is a lie about the body.
func aborted(r *response) string {
	if r.err == nil {
		return fmt.Sprintf("a complete %s with body %.60q: the client cannot tell the body was broken", r, r.body)
	}
	return ""
}

func runBadAnswers(t *testing.T, cases []badAnswer) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachTarget(t, labSpec{script: on("/trigger", raw(tc.answer))}, func(c *check, l *lab) {
				cl := dial(c.t, l.addr)
				r, err := cl.do(request("GET", "/trigger"), "GET")
				if !c.ok(err, "the request") {
					return
				}
				why := ""
				switch {
				case r.status == 502 && r.err == nil:
				case tc.relayed == nil:
					why = "want 502"
				default:
					why = tc.relayed(r)
				}
				switch {
				case why != "":
					c.fail("got %s: %s", r, why)
				case r.status == 502:
					c.note("502")
				case r.err != nil:
					c.note("%d sent, then aborted", r.status)
				default:
					c.note("relayed, normalised: %s", r)
				}
				if r.err == nil {
					nextIsOwn(c, cl, "that response")
				}
				cleanBytes(c, cl.raw.Bytes())
			})
		})
	}
}

// cleanBytes checks what a client received for the bytes a malformed
// response head carried.
func cleanBytes(c *check, raw []byte) {
	c.t.Helper()
	if bytes.IndexByte(raw, 0) >= 0 {
		c.fail("the client received a NUL byte")
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		c.fail("the client received a bare CR")
	}
	if bytes.Contains(raw, []byte("\nX A:")) {
		c.fail("the client received the header name with a space")
	}
	if bytes.Contains(raw, []byte("helloJ")) {
		c.fail("the client received the bytes that broke the chunked framing: %.40q", raw[bytes.Index(raw, []byte("hello")):])
	}
}

// A4: large response heads, and what may count against a backend's health.
func TestLargeResponseHeads(t *testing.T) {
	pad := func(size int) fields {
		var fs fields
		for n := 0; n < size; n += 1012 {
			fs = append(fs, field{fmt.Sprintf("X-Pad-%03d", len(fs)), strings.Repeat("p", 1000)})
		}
		return fs
	}
	heads := map[string]fields{
		"/csp":     {{"Content-Security-Policy", "default-src 'self'" + strings.Repeat("; script-src https://cdn.example.com/a", 460)}}, // 17 KB
		"/head60":  pad(60<<10 - 200),
		"/head200": pad(200 << 10),
	}
	answer := script(func(c *bconn, r *breq) bool {
		fs, ok := heads[r.path()]
		if ok {
			var b strings.Builder
			for _, f := range fs {
				b.WriteString(f.name + ": " + f.value + "\r\n")
			}
			raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n" + b.String() + "\r\nhello")(c)
		}
		return ok
	})
	relayed := func(path string) func(c *check, l *lab) {
		return func(c *check, l *lab) {
			r, err := dial(c.t, l.addr).do(request("GET", path), "GET")
			if !c.ok(err, "the request") {
				return
			}
			if why := intact(r); why != "" {
				c.fail("got %s", why)
				return
			}
			for _, f := range heads[path] {
				if v := r.fields.values(f.name); len(v) != 1 || v[0] != f.value {
					c.fail("%s arrived as %d lines, not intact", f.name, len(v))
					return
				}
			}
			c.note("200, %d head bytes intact", len(r.head))
		}
	}
	t.Run("A4-17KB-header-line", func(t *testing.T) { eachTarget(t, labSpec{script: answer}, relayed("/csp")) })
	t.Run("A4-60KB-head", func(t *testing.T) { eachTarget(t, labSpec{script: answer}, relayed("/head60")) })
	t.Run("A4-200KB-head-is-502", func(t *testing.T) {
		eachTarget(t, labSpec{script: answer}, func(c *check, l *lab) {
			r, err := dial(c.t, l.addr).do(request("GET", "/head200"), "GET")
			switch {
			case !c.ok(err, "the request"):
			case r.status != 502:
				c.fail("got %s, want 502", r)
			default:
				c.note("502")
			}
		})
	})
	healthy := func(name string, paths ...string) {
		t.Run(name, func(t *testing.T) {
			eachTarget(t, labSpec{backends: 2, script: answer}, func(c *check, l *lab) {
				for _, p := range paths {
					for range 20 {
						_, err := dial(c.t, l.addr).do(request("GET", p), "GET")
						c.ok(err, "GET "+p)
					}
				}
				bothServe(c, l)
			})
		})
	}
	healthy("A4-health-after-200KB-head-502s", "/head200")
	healthy("A4-health-after-application-500-502-503", "/status/500", "/status/502", "/status/503")
}

// bothServe checks that each of two backends gets its share of 20
// ordinary requests: none was taken out of rotation.
func bothServe(c *check, l *lab) {
	c.t.Helper()
	before := []int{len(l.backends[0].requests()), len(l.backends[1].requests())}
	for range 20 {
		if w := echoes(dial(c.t, l.addr)); w != "" {
			c.fail("an ordinary request got %s", w)
		}
	}
	got := []int{len(l.backends[0].requests()) - before[0], len(l.backends[1].requests()) - before[1]}
	c.note("next 20 requests: %d and %d", got[0], got[1])
	if min(got[0], got[1]) < 6 {
		c.fail("the next 20 ordinary requests went %d and %d to the two backends: one was taken out of rotation", got[0], got[1])
	}
}
