//go:build !linux

package conformance

import "syscall"

// dieWithParent has no portable equivalent; t.Cleanup still kills targets.
func dieWithParent() *syscall.SysProcAttr { return nil }
