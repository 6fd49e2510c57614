package lb

import (
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Upstream sockets give up on unacknowledged bytes after UnackedTimeout,
// and retransmit early enough for that to mean something (TCP_RTO_MIN_US,
// where the kernel has it).
func TestUpstreamSocketOptions(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tr := NewTransport(TransportConfig{})
	c, err := tr.dial(&Upstream{Addr: ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, _ := c.Conn.(*net.TCPConn).SyscallConn()
	var user, rtoMin int
	var rtoErr error
	raw.Control(func(fd uintptr) {
		user, _ = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT)
		rtoMin, rtoErr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_RTO_MIN_US)
	})
	d := func(us int) time.Duration { return time.Duration(us) * time.Microsecond }
	if user != 100 {
		t.Errorf("TCP_USER_TIMEOUT = %d ms, want 100", user)
	}
	switch {
	case rtoErr == syscall.ENOPROTOOPT || rtoErr == syscall.EINVAL:
		t.Logf("this kernel has no TCP_RTO_MIN_US: %v", rtoErr)
	case rtoErr != nil || d(rtoMin) < 10*time.Millisecond || d(rtoMin) > 14*time.Millisecond: // kept in jiffies
		t.Errorf("TCP_RTO_MIN_US = %d µs (%v), want 10 ms, give or take a jiffy", rtoMin, rtoErr)
	}
}
