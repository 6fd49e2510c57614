//go:build unix

package lb

import (
	"syscall"
)

// peeker peeks at an idle connection. Its raw connection and callback are
// made once per connection, not once per reuse: each would be an
// allocation per request.
type peeker struct {
	raw   syscall.RawConn
	fn    func(fd uintptr) bool
	dirty bool
	buf   [1]byte
}

// unsolicited reports whether an idle connection has bytes waiting that no
// request asked for, or was closed by its peer, without consuming anything:
// one non-blocking MSG_PEEK. Either way the connection must not carry
// another request.
func (c *upConn) unsolicited() bool {
	p := &c.peek
	if p.raw == nil {
		sc, ok := c.Conn.(syscall.Conn)
		if !ok {
			return false
		}
		raw, err := sc.SyscallConn()
		if err != nil {
			return true
		}
		p.raw, p.fn = raw, p.peekFD
	}
	p.dirty = false
	err := p.raw.Read(p.fn)
	return p.dirty || err != nil
}

func (p *peeker) peekFD(fd uintptr) bool {
	n, _, rerr := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	// n > 0: unread bytes; n == 0 without error: the peer closed.
	p.dirty = n > 0 || rerr == nil || rerr != syscall.EAGAIN && rerr != syscall.EWOULDBLOCK
	return true // never wait for readability
}
