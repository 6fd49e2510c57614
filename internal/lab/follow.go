package lab

// How the lab's waits decide to give up: on progress, not on a clock. A
// machine 5-20x slower than a laptop (an emulated VM, a busy CI runner)
// makes the same progress, only later; a wait that sees none is stuck.

import (
	"context"
	"fmt"
	"time"
)

// Patience is how long a wait goes on: while what it watches keeps
// changing, up to Max in all; once nothing changed for Stall it gives up.
type Patience struct {
	Stall time.Duration
	Max   time.Duration
}

// The lab's waits. The caps are generous because a wait that still sees
// progress is not stuck; Stall is what a fast machine waits when it is.
var (
	// EnginePatience: a node's dockerd logs as it starts; one waiting for
	// its containerd gives up by itself after a minute.
	EnginePatience = Patience{Stall: 2 * time.Minute, Max: 15 * time.Minute}
	// ReadyPatience: nodes change state as they register.
	ReadyPatience = Patience{Stall: 2 * time.Minute, Max: 15 * time.Minute}
	// StackPatience: tasks move through their states; pulling an image
	// is one long state.
	StackPatience = Patience{Stall: 3 * time.Minute, Max: 30 * time.Minute}
	// HTTPPatience: an endpoint's answer changes as its server comes up.
	HTTPPatience = Patience{Stall: time.Minute, Max: 10 * time.Minute}
)

// clock is time as a wait sees it; tests give it a fake one.
type clock interface {
	Now() time.Time
	After(time.Duration) <-chan time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// sight is what one look at a wait's subject found.
type sight struct {
	done  bool
	shown string   // the progress detail, and what the error names when the wait gives up
	marks []string // facts that count as progress the first time they are seen
}

// WaitError is a wait that gave up, with what it saw last.
type WaitError struct {
	Stalled bool          // nothing changed for Patience.Stall; else Patience.Max ran out
	For     time.Duration // that Stall, or that Max
	Last    string
}

func (e *WaitError) Error() string {
	if e.Stalled {
		return fmt.Sprintf("nothing changed for %s; last seen: %s", e.For, e.Last)
	}
	return fmt.Sprintf("not done after %s, although it was still changing; last seen: %s", e.For, e.Last)
}

// follow looks at a wait's subject every interval until a look finds it
// done. A look that brings a mark not seen before is progress; a repeated
// one is not, so a task that fails and is retried again and again does not
// keep the wait alive. Each look gets at most p.Stall.
func follow(ctx context.Context, clk clock, interval time.Duration, p Patience, progress func(string), look func(context.Context) (sight, error)) error {
	start := clk.Now()
	changed := start
	seen := map[string]bool{}
	for {
		lctx, cancel := context.WithTimeout(ctx, p.Stall)
		s, err := look(lctx)
		cancel()
		if err != nil {
			return err
		}
		now := clk.Now()
		for _, m := range s.marks {
			if !seen[m] {
				seen[m] = true
				changed = now
			}
		}
		if s.done {
			progress(s.shown)
			return nil
		}
		progress(withWaited(s.shown, now.Sub(start), now.Sub(changed)))
		switch {
		case now.Sub(changed) >= p.Stall:
			return &WaitError{Stalled: true, For: p.Stall, Last: s.shown}
		case now.Sub(start) >= p.Max:
			return &WaitError{For: p.Max, Last: s.shown}
		}
		if ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-clk.After(interval):
			}
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w; last seen: %s", err, s.shown)
		}
	}
}

// withWaited adds, once a wait is long, how long it has waited and for how
// long nothing changed, in steps of 30 s: a log gets a line at most that
// often, and a slow step shows it is alive.
func withWaited(shown string, waited, quiet time.Duration) string {
	const step = 30 * time.Second
	if waited < step {
		return shown
	}
	s := fmt.Sprintf("%s; waited %s", shown, waited.Truncate(step))
	if quiet >= step {
		s += fmt.Sprintf(", no change for %s", quiet.Truncate(step))
	}
	return s
}
