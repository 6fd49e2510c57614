package lb

import (
	"net"
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
