// Package cli holds what every swarmlab command shares: the I/O streams it is
// handed (never os.Stdout directly, so commands are testable), status lines
// for long steps, and errors that carry a hint for the user.
package cli
