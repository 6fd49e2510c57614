// Package cli holds what every swarmlab command shares: the I/O streams it is
// handed (never os.Stdout directly, so commands are testable), status lines
// for long steps, and errors that carry a hint for the user.
package cli

import (
	"io"
	"os"
)

// Streams are the standard streams a command reads and writes.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// StdStreams returns the process's own streams.
func StdStreams() Streams {
	return Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}
}

// IsTerminal reports whether w is a character device, so that spinners and
// colours are only drawn for people and never for pipes or CI logs.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0
}
