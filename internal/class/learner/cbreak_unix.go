//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos

package learner

import "golang.org/x/sys/unix"

// cbreak turns the terminal's line buffering and echo off, and leaves the
// rest: output processing ("\n" still returns the carriage) and signals
// (Ctrl-C still interrupts). x/term's MakeRaw turns those off too.
func cbreak(fd int) error {
	t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return err
	}
	t.Lflag &^= unix.ICANON | unix.ECHO
	t.Cc[unix.VMIN] = 1 // a read returns each key as it comes
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, ioctlSetTermios, t)
}

// background reports whether the terminal is ours but another process
// group has it (the watch was started with &): setting its mode would stop
// the watch (SIGTTOU), and so would reading it (SIGTTIN).
func background(fd int) bool {
	pg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil {
		return false // not our controlling terminal: no job control on it
	}
	me, err := unix.Getpgid(0)
	return err == nil && pg != me
}
