package conformance

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// E: what an attack review found past the framing cases: bodies that must
// stream whatever their type, errors the client caused that must not count
// against a backend, forwarding fields a client must not forge, and
// timeouts that must measure idleness, not length.

// E1: a 300 MB multipart upload streams like any other body: the backend
// sees its first bytes while the client is still sending, the parts arrive
// as sent (each part's own Content-Type too), and the target's memory
// stays flat.
func TestMultipartStreamed(t *testing.T) {
	oneCase(t, "E1-multipart-300MB-streamed-memory-flat", labSpec{}, func(c *check, l *lab) {
		const size = 300 << 20
		head := "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"big.bin\"\r\nContent-Type: application/x-swarmlab-part\r\n\r\n"
		tail := "\r\n--XyZ--\r\n"
		total := len(head) + size + len(tail)
		before, err := peakMemory(l.pid)
		if !c.ok(err, "peak memory") {
			return
		}
		cl := dial(c.t, l.addr)
		cl.timeout = time.Minute
		req := request("POST", "/upload", "Content-Type: multipart/form-data; boundary=XyZ", "Content-Length: "+strconv.Itoa(total))
		if !c.ok(cl.send(req+head), "send the head") {
			return
		}
		cl.conn.SetWriteDeadline(time.Now().Add(time.Minute))
		if _, err := io.CopyN(cl.conn, zeros{}, 100<<20); !c.ok(err, "send the first 100 MB") {
			return
		}
		early := eventually(3*time.Second, func() bool { return l.backends[0].uploaded.Load() > 0 })
		cl.conn.SetWriteDeadline(time.Now().Add(time.Minute))
		if _, err := io.CopyN(cl.conn, zeros{}, size-100<<20); !c.ok(err, "send the rest") {
			return
		}
		if !c.ok(cl.send(tail), "send the closing boundary") {
			return
		}
		r, err := cl.read("POST")
		if !c.ok(err, "the response") {
			return
		}
		after, _ := peakMemory(l.pid)
		grew := (after - before) >> 20
		got := l.backends[0].requests()
		switch {
		case r.status != 200 || string(r.body) != strconv.Itoa(total):
			c.fail("got %s body %.40q, want 200 and %d bytes at the backend", r, r.body, total)
		case !early:
			c.fail("the backend had no byte of the body after the client sent 100 MB: the body was held back")
		case len(got) != 1 || !bytes.HasPrefix(got[0].body, []byte(head)):
			c.fail("the part's head arrived as %.200q, want %.200q", got[0].body, head)
		case grew >= 64:
			c.fail("peak memory grew by %d MB moving a 300 MB multipart body: it was buffered", grew)
		default:
			c.note("200, streamed (first bytes early), part head intact, peak memory +%d MB", grew)
		}
	})
}

// oneCase runs a case of its own on every target.
func oneCase(t *testing.T, name string, spec labSpec, fn func(c *check, l *lab)) {
	t.Run(name, func(t *testing.T) { eachTarget(t, spec, fn) })
}

// spread sends n echo requests, each on a new connection, and reports the
// backends that answered none: after a client's own error every backend
// must still be in rotation.
func spread(c *check, l *lab, n int) string {
	seen := map[string]bool{}
	for range n {
		r, err := dial(c.t, l.addr).do(echo(newID()), "GET")
		if err != nil {
			return err.Error()
		}
		seen[r.fields.get("X-Service")] = true
	}
	var missing []string
	for _, b := range l.backends {
		if !seen[b.name] {
			missing = append(missing, b.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("backends %v took none of %d requests: the client's error counted against them", missing, n)
	}
	return ""
}

// E2: an error the client caused gets a 4xx (or, for a request that can be
// forwarded, an answer), is sent to one backend at most, and leaves every
// backend in rotation.
func TestClientErrorsAreTheClients(t *testing.T) {
	cases := []struct {
		name, req string
		path      string // the path that must reach one backend at most
		forward   bool   // the request may be forwarded and answered 200
	}{
		{"E2-connection-lists-host", request("GET", "/lists-host", "Connection: Host"), "/lists-host", true},
		{"E2-bad-chunk-size-in-client-body", request("POST", "/body", "Transfer-Encoding: chunked") + "5\r\nhello\r\nzz\r\n", "/body", false},
		{"E2-chunk-data-not-followed-by-CRLF-in-client-body", request("POST", "/body", "Transfer-Encoding: chunked") + "5\r\nhelloJUNK\r\n0\r\n\r\n", "/body", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachTarget(t, labSpec{backends: 3}, func(c *check, l *lab) {
				cl := dial(c.t, l.addr)
				go cl.send(tc.req)
				r, err := cl.read("GET")
				if !c.ok(err, "the response") {
					return
				}
				tries := 0
				for _, q := range l.requests() {
					if q.path() == tc.path {
						tries++
					}
				}
				switch {
				case r.status/100 == 5:
					c.fail("got %s: the client's error was taken for the backend's", r)
				case tries > 1:
					c.fail("the request reached the backends %d times: a client's error was retried", tries)
				case r.status/100 != 4 && !(tc.forward && r.status == 200):
					c.fail("got %s, want 400", r)
				default:
					if w := spread(c, l, 6); w != "" {
						c.fail("%s", w)
						return
					}
					c.note("%d, sent to %d backends, all three still in rotation", r.status, tries)
				}
			})
		})
	}
}

// E2, E6: a client that stops sending its body gets 408 at the client
// timeout (here 2s), the backend connection is let go then, and no backend
// is blamed. With Expect: 100-continue the body may never start.
func TestClientBodyTimeout(t *testing.T) {
	spec := labSpec{backends: 3, ingressEnv: []string{"CLIENT_TIMEOUT=2s"}, haproxyDefaults: "    timeout client 2s\n"}
	cases := []struct{ name, req string }{
		{"E2-client-body-stops-halfway", request("POST", "/body", "Content-Length: 10") + "hello"},
		{"E6-expect-100-continue-body-never-comes", request("POST", "/body", "Content-Length: 10", "Expect: 100-continue")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachTarget(t, spec, func(c *check, l *lab) {
				cl := dial(c.t, l.addr)
				cl.timeout = 10 * time.Second
				start := time.Now()
				if !c.ok(cl.send(tc.req), "send") {
					return
				}
				r, err := cl.read("POST")
				if err == nil && r.status == 100 {
					r, err = cl.read("POST")
				}
				took := time.Since(start)
				released := eventually(3*time.Second, func() bool {
					s, ok := l.backends[0].connOf("/body")
					if !ok {
						for _, b := range l.backends[1:] {
							if s, ok = b.connOf("/body"); ok {
								break
							}
						}
					}
					return !ok || s.closed
				})
				switch {
				case err != nil && !isReset(err) && err != io.EOF:
					c.fail("no answer within 10s: %v", err)
				case r != nil && r.status != 408 && r.status != 400:
					c.fail("got %s after %s, want 408", r, took.Round(100*time.Millisecond))
				case !released:
					c.fail("the backend connection of the stalled request is still open after %s", took.Round(100*time.Millisecond))
				default:
					if w := spread(c, l, 6); w != "" {
						c.fail("%s", w)
						return
					}
					status := "closed"
					if r != nil {
						status = strconv.Itoa(r.status)
					}
					c.note("%s after %s, backend connection released, all backends in rotation", status, took.Round(500*time.Millisecond))
				}
			})
		})
	}
}

// E3: an absolute-form target's authority replaces Host (RFC 9112 section
// 3.2.2): the backend must not see the Host the request was not routed by.
func TestAbsoluteFormHost(t *testing.T) {
	oneCase(t, "E3-absolute-form-authority-replaces-host", labSpec{}, func(c *check, l *lab) {
		req := "GET http://victim.test/abs?id=1 HTTP/1.1\r\nHost: attacker.test\r\n\r\n"
		r, err := dial(c.t, l.addr).do(req, "GET")
		if !c.ok(err, "GET") {
			return
		}
		got := l.requests()
		if r.status == 400 && len(got) == 0 {
			c.note("400, not forwarded") // HAProxy's way: a Host that differs is refused
			return
		}
		if r.status != 200 || len(got) != 1 {
			c.fail("got %s and %d requests at the backend, want 200 and one", r, len(got))
			return
		}
		host, xfh := got[0].fields.values("Host"), got[0].fields.values("X-Forwarded-Host")
		if len(host) != 1 || host[0] != "victim.test" || strings.Contains(strings.Join(xfh, ","), "attacker") {
			c.fail("the backend got Host %q and X-Forwarded-Host %q, want Host victim.test", host, xfh)
			return
		}
		c.note("Host: victim.test, target %s", got[0].target)
	})
}

// E4: forwarding fields sent twice by the client are all replaced by the
// target's own, but X-Forwarded-For, whose copies become one list that
// ends with the address the target saw (the proxy behind the ingress needs
// the ingress's list).
func TestForwardingFieldsSentTwice(t *testing.T) {
	oneCase(t, "E4-forwarding-fields-sent-twice", labSpec{}, func(c *check, l *lab) {
		req := request("GET", "/echo?id=fwd", "X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 7.7.7.7", "X-Real-Ip: 6.6.6.6",
			"X-Real-Ip: 7.7.7.7", "X-Forwarded-Proto: https", "X-Forwarded-Proto: https")
		r, err := dial(c.t, l.addr).do(req, "GET")
		if !c.ok(err, "GET") || r.status != 200 {
			c.fail("got %v, want 200", r)
			return
		}
		got := l.backends[0].requests()[0].fields
		for name, want := range map[string]string{"X-Forwarded-For": "6.6.6.6, 7.7.7.7, 127.0.0.1", "X-Real-Ip": "127.0.0.1", "X-Forwarded-Proto": "http"} {
			if v := got.values(name); len(v) != 1 || v[0] != want {
				c.fail("%s at the backend is %q, want only %q", name, v, want)
			}
		}
		c.note("one field each; X-Forwarded-For one list ending with the client")
	})
}

// E5: a backend that stops reading a 20 MB POST for 2s (its receive window
// is full) is busy, not dead: the request completes and it stays in use.
func TestBackendPausesReading(t *testing.T) {
	oneCase(t, "E5-backend-pauses-reading-20MB-POST-for-2s", labSpec{}, func(c *check, l *lab) {
		const size = 20 << 20
		cl := dial(c.t, l.addr)
		cl.timeout = 30 * time.Second
		if !c.ok(cl.send(request("POST", "/upload?pause=2s", "Content-Length: "+strconv.Itoa(size))), "send") {
			return
		}
		go func() {
			cl.conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
			io.CopyN(cl.conn, zeros{}, size)
		}()
		r, err := cl.read("POST")
		if !c.ok(err, "the response") {
			return
		}
		if r.status != 200 || string(r.body) != strconv.Itoa(size) {
			c.fail("got %s body %.40q, want 200 and %d bytes", r, r.body, size)
			return
		}
		if w := echoes(dial(c.t, l.addr)); w != "" {
			c.fail("the next request got %s", w)
			return
		}
		c.note("200 after the pause; the backend still serves")
	})
}

// E6: the body timeout is an idle timeout: a slow, steady upload that lasts
// twice the client timeout passes.
func TestSteadyUploadOutlastsBodyTimeout(t *testing.T) {
	spec := labSpec{ingressEnv: []string{"CLIENT_TIMEOUT=2s"}, haproxyDefaults: "    timeout client 2s\n"}
	oneCase(t, "E6-steady-upload-outlasts-body-timeout", spec, func(c *check, l *lab) {
		const piece, pieces = 32 << 10, 40 // 1.25 MB over 4s
		cl := dial(c.t, l.addr)
		if !c.ok(cl.send(request("POST", "/upload", "Content-Length: "+strconv.Itoa(piece*pieces))), "send") {
			return
		}
		for range pieces {
			time.Sleep(100 * time.Millisecond)
			if err := cl.send(strings.Repeat("x", piece)); err != nil {
				c.fail("the target stopped taking the body: %v", err)
				return
			}
		}
		r, err := cl.read("POST")
		if !c.ok(err, "the response") {
			return
		}
		if r.status != 200 || string(r.body) != strconv.Itoa(piece*pieces) {
			c.fail("got %s body %.40q, want 200 and %d bytes", r, r.body, piece*pieces)
			return
		}
		c.note("200 after 4s of steady upload")
	})
}

// E6: an idle upgraded tunnel is closed after its idle timeout (here 2s).
func TestIdleTunnelClosed(t *testing.T) {
	spec := labSpec{ingressEnv: []string{"TUNNEL_TIMEOUT=2s"}, haproxyDefaults: "    timeout tunnel 2s\n"}
	oneCase(t, "E6-idle-tunnel-closed-active-kept", spec, func(c *check, l *lab) {
		cl := dial(c.t, l.addr)
		r, err := cl.do(request("GET", "/ws", "Connection: Upgrade", "Upgrade: websocket",
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"), "GET")
		if !c.ok(err, "upgrade") || r.status != 101 {
			c.fail("got %v, want 101", r)
			return
		}
		// Active for 3s, longer than the idle timeout: it stays open.
		for range 6 {
			time.Sleep(500 * time.Millisecond)
			cl.send("ping")
		}
		start := time.Now()
		hello := make([]byte, len("server-hello")+6*4)
		if _, err := io.ReadFull(cl.br, hello); err != nil {
			c.fail("an active tunnel broke after 3s: %v", err)
			return
		}
		closed, after := cl.closedWithin(8*time.Second, start)
		if !closed {
			c.fail("an idle tunnel is still open after %s", after.Round(100*time.Millisecond))
			return
		}
		c.note("active one kept; idle one closed after %s", after.Round(500*time.Millisecond))
	})
}

// E11: every Connection line counts, in requests and in responses.
func TestEveryConnectionLine(t *testing.T) {
	answer := on("/conn", raw("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: X-Resp-Hop\r\nX-Resp-Hop: 1\r\nContent-Length: 2\r\n\r\nok"))
	oneCase(t, "E11-every-connection-line-honoured", labSpec{script: answer}, func(c *check, l *lab) {
		req := request("GET", "/conn", "Connection: keep-alive", "Connection: X-Hop", "X-Hop: secret")
		r, err := dial(c.t, l.addr).do(req, "GET")
		if !c.ok(err, "GET") || r.status != 200 {
			c.fail("got %v, want 200", r)
			return
		}
		if got := l.backends[0].requests()[0].fields; got.has("X-Hop") {
			c.fail("X-Hop, listed on the second Connection line, reached the backend")
		}
		if r.fields.has("X-Resp-Hop") {
			c.fail("X-Resp-Hop, listed on the backend's second Connection line, reached the client")
		}
		c.note("both removed")
	})
}

// E7: upstream connections are reused only where safe (HAProxy's
// "http-reuse safe"): a client connection's first request never rides a
// kept-alive connection another client used, so a late response a backend
// sends on it unasked cannot reach a newcomer; later requests may.
func TestReuseOnlyWhereSafe(t *testing.T) {
	oneCase(t, "E7-first-request-of-a-connection-gets-its-own-upstream-connection", labSpec{}, func(c *check, l *lab) {
		a := dial(c.t, l.addr)
		if w := echoes(a); w != "" {
			c.fail("client A got %s", w)
			return
		}
		if w := echoes(dial(c.t, l.addr)); w != "" {
			c.fail("client B got %s", w)
			return
		}
		if w := echoes(a); w != "" {
			c.fail("client A's second request got %s", w)
			return
		}
		got := l.backends[0].requests()
		if len(got) != 3 {
			c.fail("%d requests reached the backend, want 3", len(got))
			return
		}
		if got[0].conn == got[1].conn {
			c.fail("client B's first request came on the upstream connection client A's had used")
			return
		}
		c.note("B's first request on a new connection; A's second on %s", map[bool]string{true: "a kept-alive one", false: "a new one"}[got[2].conn == got[0].conn || got[2].conn == got[1].conn])
	})
}

// E7: clients that make one request per connection, a little apart (curl
// in a loop), do not open an upstream connection each: a connection idle
// for a second may carry a newcomer's first request.
func TestOneRequestClientsShareUpstream(t *testing.T) {
	oneCase(t, "E7-one-request-clients-1.2s-apart-share-an-upstream-connection", labSpec{}, func(c *check, l *lab) {
		for i := range 3 {
			if i > 0 {
				time.Sleep(1200 * time.Millisecond)
			}
			cl := dial(c.t, l.addr)
			if w := echoes(cl); w != "" {
				c.fail("client %d got %s", i+1, w)
				return
			}
			cl.conn.Close()
		}
		n := l.backends[0].accepted()
		if n > 1 {
			c.fail("3 clients, one request each 1.2s apart, took %d upstream connections, want 1", n)
			return
		}
		c.note("1 upstream connection for 3 clients")
	})
}
