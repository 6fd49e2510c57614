//go:build e2e

package e2e

import "syscall"

// dieWithParent kills a process the tests started in the background (a
// 'tutorial --watch') when the test binary dies, so that a timed-out or
// crashed run leaves nothing holding the lab.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
