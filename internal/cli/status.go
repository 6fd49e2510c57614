package cli

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Status prints one line per step, the way kind does: a spinner that turns
// into ✓ or ✗ on a terminal, and plain " • step ..." / " ✓ step" lines
// elsewhere, so that CI logs stay readable.
type Status struct {
	w       io.Writer
	tty     bool // a terminal that shows escape sequences: spinner and colours
	marks   Marks
	quiet   bool
	verbose bool

	mu      sync.Mutex
	current string
	detail  string
	start   time.Time
	stop    chan struct{}
	done    chan struct{}
}

// NewStatus writes status lines to w. quiet silences everything but failures.
func NewStatus(w io.Writer, quiet bool) *Status {
	marks := MarksFor(w)
	return &Status{w: w, tty: marks.vt, marks: marks, quiet: quiet}
}

// Verbose makes a terminal also keep each progress detail as a line of its
// own, as logs always do.
func (s *Status) Verbose() *Status {
	s.verbose = true
	return s
}

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Start begins a step. A step still open is ended as a success first.
func (s *Status) Start(step string) {
	s.End(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current, s.detail, s.start = step, "", time.Now()
	if s.quiet {
		return
	}
	if !s.tty {
		fmt.Fprintf(s.w, " • %s ...\n", step)
		return
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.spin(s.stop, s.done)
}

// Progress sets a short detail shown after the step, such as "2/3 running".
// On a terminal it replaces the previous detail; elsewhere only changes are
// printed, so a log shows the progression without repeating itself.
func (s *Status) Progress(detail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == "" || detail == s.detail {
		return
	}
	s.detail = detail
	if !s.quiet && (!s.tty || s.verbose) {
		if s.tty {
			fmt.Fprint(s.w, "\r\033[K")
		}
		fmt.Fprintf(s.w, "   %s: %s\n", s.current, detail)
	}
}

func (s *Status) spin(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		s.mu.Lock()
		line := s.current
		if s.detail != "" {
			line += " (" + s.detail + ")"
		}
		fmt.Fprintf(s.w, "\r\033[K %s %s", spinnerFrames[i%len(spinnerFrames)], line)
		s.mu.Unlock()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// End closes the current step with ✓ or ✗. It does nothing when no step is open.
func (s *Status) End(ok bool) {
	s.mu.Lock()
	step, stop, done := s.current, s.stop, s.done
	s.current, s.stop, s.done = "", nil, nil
	s.mu.Unlock()
	if step == "" {
		return
	}
	if stop != nil {
		close(stop)
		<-done
	}
	mark := s.marks.OK(ok)
	if s.quiet && ok {
		return
	}
	el := time.Since(s.start).Round(100 * time.Millisecond)
	if s.tty {
		fmt.Fprintf(s.w, "\r\033[K %s %s (%s)\n", mark, step, el)
		return
	}
	fmt.Fprintf(s.w, " %s %s (%s)\n", mark, step, el)
}

// Infof prints a note between steps (for example, a fallback that was taken).
func (s *Status) Infof(format string, args ...any) {
	if s.quiet {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tty && s.current != "" {
		fmt.Fprint(s.w, "\r\033[K")
	}
	fmt.Fprintf(s.w, " ℹ "+format+"\n", args...)
}
