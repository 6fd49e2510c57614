package conformance

import "syscall"

// dieWithParent kills a target when the test binary dies, so a crashed run
// leaves no listener behind.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
