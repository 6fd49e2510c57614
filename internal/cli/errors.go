package cli

import (
	"errors"
	"fmt"
)

// HintError is an error with a next step for the user. The CLI prints it as
//
//	Error: <err>
//	Try:   <hint>
type HintError struct {
	Err  error
	Hint string
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

// WithHint wraps err with a hint: the error first, then what to do, as the
// CLI prints them. A nil err stays nil. It is the one way to give an error
// a hint; a new error is cli.WithHint(fmt.Errorf(...), hint).
func WithHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &HintError{Err: err, Hint: hint}
}

// HintOf returns the first hint found in err's chain, or "".
func HintOf(err error) string {
	var h *HintError
	if errors.As(err, &h) {
		return h.Hint
	}
	return ""
}

// ExitError ends a command with a non-zero status whose reason was already
// printed (a failed check, a command run in a node that failed).
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// ExitStatus is the error of a command that ran a program with the user's
// streams: err when it could not run, an ExitError when it exited non-zero.
func ExitStatus(code int, err error) error {
	if err == nil && code != 0 {
		return &ExitError{Code: code}
	}
	return err
}
