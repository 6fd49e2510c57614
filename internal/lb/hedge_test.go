package lb

import (
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// blackhole returns an address whose connects hang, as to a task on a
// node that lost power: a listener that never accepts, its queue full, so
// the kernel drops further SYNs.
func blackhole(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	addr := (&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*syscall.SockaddrInet4).Port}).String()
	// Fill the accept queue; then connects stop completing.
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { c.Close() })
		if i > 16 {
			t.Skip("this kernel accepts connects past a full queue")
		}
	}
}

func TestHedgedConnectAndUnreachable(t *testing.T) {
	t.Parallel()
	dead := blackhole(t)
	_, live := backend(t, named("live"))
	p := NewPool(dead, live)
	tr := NewTransport(TransportConfig{DialTimeout: 500 * time.Millisecond, HedgeDelay: 20 * time.Millisecond})
	h := &Handler{Pool: p, Selector: &RoundRobin{}, Transport: tr, Passive: PassiveHealth{ProbeInterval: 50 * time.Millisecond}}
	base := front(t, h)
	for i := 0; i < 10; i++ {
		start := time.Now()
		rec := get(t, base, "GET", "/")
		if rec.Code != 200 || rec.Body != "live" {
			t.Fatalf("request %d: %d %q", i, rec.Code, rec.Body)
		}
		// A request that met the dead upstream waited for the hedge only,
		// not for the connect timeout.
		if el := time.Since(start); el > 250*time.Millisecond {
			t.Fatalf("request %d took %v", i, el)
		}
	}
	waitFor(t, "the unreachable upstream is out of rotation", func() bool { return !p.Upstreams()[0].Available() })
	if !p.Upstreams()[1].Available() {
		t.Fatal("the live upstream was taken out")
	}
}

func TestUnreachableComesBackWhenItConnects(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, other := backend(t, named("other"))
	p := NewPool(ln.Addr().String(), other)
	u := p.Upstreams()[0]
	PassiveHealth{ProbeInterval: 20 * time.Millisecond}.unreachable(p, u, NewTransport(TransportConfig{}))
	if u.Available() {
		t.Fatal("not taken out")
	}
	waitFor(t, "a probe that connects brings it back", u.Available)
	// It leaves the pool: no probe outlives that.
	PassiveHealth{ProbeInterval: 20 * time.Millisecond}.unreachable(p, u, NewTransport(TransportConfig{}))
	p.Set([]string{other})
	waitFor(t, "the probe stops", func() bool { return !u.probing.Load() })
}

// firstAvailable always picks the first available upstream.
type firstAvailable struct{}

func (firstAvailable) Select(ups []*Upstream, _ string) *Upstream {
	for _, u := range ups {
		if u.Available() {
			return u
		}
	}
	return nil
}

// A task that lost power after it acknowledged a request never answers,
// and no unacknowledged byte is left for UnackedTimeout. Once another
// request finds it unreachable, a GET waiting there goes to another task;
// a POST keeps waiting, as it may not be sent twice.
func TestUnreachableEndsTheWaitOfReplayableRequests(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			go func() {
				b := make([]byte, 4096)
				n, _ := c.Read(b) // the request, acknowledged; then silence
				got <- strings.Fields(string(b[:n]))[0]
			}()
		}
	}()
	_, live := backend(t, named("live"))
	p := NewPool(ln.Addr().String(), live)
	tr := NewTransport(TransportConfig{})
	h := &Handler{Pool: p, Selector: firstAvailable{}, Transport: tr, Passive: PassiveHealth{ProbeInterval: time.Hour}}
	base := front(t, h)

	post := make(chan error, 1)
	go func() {
		c := &http.Client{Timeout: 700 * time.Millisecond}
		resp, err := c.Post(base+"/", "text/plain", strings.NewReader("x"))
		if err == nil {
			resp.Body.Close()
		}
		post <- err
	}()
	answer := make(chan answer, 1)
	go func() { answer <- get(t, base, "GET", "/") }()
	for range 2 {
		select {
		case <-got:
		case <-time.After(2 * time.Second):
			t.Fatal("the silent task did not get both requests")
		}
	}
	start := time.Now()
	h.Passive.unreachable(p, p.Upstreams()[0], tr)
	select {
	case a := <-answer:
		if a.Code != 200 || a.Body != "live" || time.Since(start) > 200*time.Millisecond {
			t.Fatalf("GET after its task was found unreachable: %d %q after %s", a.Code, a.Body, time.Since(start))
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the GET still waits on an unreachable task")
	}
	if err := <-post; err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("the POST was not left waiting: %v", err)
	}
}
