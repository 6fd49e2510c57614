//go:build unix

package lb

import (
	"net"
	"syscall"
)

// unsolicited reports whether an idle connection has bytes waiting that no
// request asked for, or was closed by its peer, without consuming anything:
// one non-blocking MSG_PEEK. Either way the connection must not carry
// another request.
func unsolicited(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	dirty := false
	var b [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// n > 0: unread bytes; n == 0 without error: the peer closed.
		dirty = n > 0 || rerr == nil || rerr != syscall.EAGAIN && rerr != syscall.EWOULDBLOCK
		return true // never wait for readability
	})
	return dirty || err != nil
}
