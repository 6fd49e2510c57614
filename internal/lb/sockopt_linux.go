package lb

import (
	"net"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// control sets TCP_USER_TIMEOUT on upstream sockets and, where the kernel
// has it, a minimum retransmission timeout of a tenth of that (see
// UnackedTimeout); an older kernel refuses the second: its 200 ms stays.
func (t *Transport) control(_, _ string, c syscall.RawConn) error {
	if t.cfg.UnackedTimeout < 0 {
		return nil
	}
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(t.cfg.UnackedTimeout.Milliseconds()))
		_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_RTO_MIN_US, int(t.cfg.UnackedTimeout.Microseconds()/10))
	})
	if err != nil {
		return err
	}
	return serr
}

// setUnacked sets TCP_USER_TIMEOUT on an open upstream connection; 0 turns
// it off.
func setUnacked(c net.Conn, d time.Duration) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	if rc, err := sc.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(d.Milliseconds()))
		})
	}
}
