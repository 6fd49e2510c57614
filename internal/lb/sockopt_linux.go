package lb

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// control sets TCP_USER_TIMEOUT on upstream sockets (see UnackedTimeout).
func (t *Transport) control(_, _ string, c syscall.RawConn) error {
	if t.cfg.UnackedTimeout < 0 {
		return nil
	}
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(t.cfg.UnackedTimeout.Milliseconds()))
	})
	if err != nil {
		return err
	}
	return serr
}
