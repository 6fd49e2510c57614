//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos || windows)

package learner

import "errors"

// cbreak is not known here: the keys stay line by line (h and Enter).
func cbreak(int) error { return errors.ErrUnsupported }

func background(int) bool { return false }
