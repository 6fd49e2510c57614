package learner

import "golang.org/x/sys/windows"

// cbreak turns the console's line input and echo off, and keeps processed
// input, so that Ctrl-C still interrupts.
func cbreak(fd int) error {
	var mode uint32
	if err := windows.GetConsoleMode(windows.Handle(fd), &mode); err != nil {
		return err
	}
	return windows.SetConsoleMode(windows.Handle(fd), mode&^(windows.ENABLE_LINE_INPUT|windows.ENABLE_ECHO_INPUT))
}

// background: a console has no background jobs.
func background(int) bool { return false }
