//go:build !linux

package lb

import (
	"net"
	"syscall"
	"time"
)

// control: TCP_USER_TIMEOUT is Linux's; the servers that proxy run there.
func (t *Transport) control(_, _ string, _ syscall.RawConn) error { return nil }

func setUnacked(net.Conn, time.Duration) {}
