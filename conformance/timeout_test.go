package conformance

import (
	"io"
	"testing"
	"time"
)

// C: a connection that sends no complete head within the header timeout
// (10s by default) is closed, however it trickles. Every probe on every
// target runs at once; the subtests then judge each.
func TestTimeouts(t *testing.T) {
	probes := []struct {
		name     string
		earliest time.Duration // not closed before: the timeout is not shorter than 10s
		talk     func(cl *client, closed <-chan struct{})
	}{
		{"C-silent-connection-closed-by-header-timeout", 8 * time.Second, func(*client, <-chan struct{}) {}},
		{"C-partial-head-then-silence", 0, func(cl *client, _ <-chan struct{}) {
			cl.send("GET / HTTP/1.1\r\nHost: conformance.test\r\n")
		}},
		{"C-slowloris-one-header-byte-every-500ms", 0, func(cl *client, closed <-chan struct{}) {
			cl.send("GET / HTTP/1.1\r\nHost: conformance.test\r\nX-Slow: ")
			for tick := time.NewTicker(500 * time.Millisecond); ; {
				select {
				case <-closed:
					tick.Stop()
					return
				case <-tick.C:
					io.WriteString(cl.conn, "a")
				}
			}
		}},
	}
	const latest, giveUp = 15 * time.Second, 20 * time.Second
	type result struct {
		closed bool
		after  time.Duration
	}
	results := map[[2]string]chan result{}
	for _, target := range targets() {
		l := startLab(t, target, labSpec{})
		for _, p := range probes {
			ch := make(chan result, 1)
			results[[2]string{p.name, target}] = ch
			cl := dial(t, l.addr)
			start := time.Now()
			closed := make(chan struct{})
			go p.talk(cl, closed)
			go func() {
				ok, after := cl.closedWithin(giveUp, start)
				close(closed)
				ch <- result{ok, after}
			}()
		}
	}
	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) {
			for _, target := range targets() {
				t.Run(target, func(t *testing.T) {
					c := newCheck(t, target)
					r := <-results[[2]string{p.name, target}]
					switch {
					case !r.closed:
						c.fail("still open after %s, want closed within %s of connecting", giveUp, latest)
					case r.after < p.earliest:
						c.fail("closed after %s, want not before %s", r.after.Round(100*time.Millisecond), p.earliest)
					case r.after >= latest:
						c.fail("closed after %s, want within %s of connecting", r.after.Round(100*time.Millisecond), latest)
					default:
						c.note("closed after %s", r.after.Round(100*time.Millisecond))
					}
				})
			}
		})
	}
}
