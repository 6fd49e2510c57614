//go:build e2e && !linux

package e2e

import "syscall"

// dieWithParent has no portable equivalent; t.Cleanup still stops the process.
func dieWithParent() *syscall.SysProcAttr { return nil }
