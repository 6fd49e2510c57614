package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock moves only when a wait sleeps: every After returns at once,
// that much later.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func TestFollow(t *testing.T) {
	t.Parallel()
	p := Patience{Stall: 10 * time.Second, Max: time.Minute}
	tests := []struct {
		name string
		// look i (from 0) returns these marks, and done when it returns true
		marks func(i int) []string
		done  func(i int) bool
		want  string // "" for success; else a substring of the error
		looks int    // how many looks the wait takes
	}{
		{"done at once", func(int) []string { return nil }, func(i int) bool { return i == 0 }, "", 1},
		{"slow but moving: a new mark every 8 s, done after 40 s",
			func(i int) []string { return []string{fmt.Sprint(i / 8)} }, func(i int) bool { return i == 40 }, "", 41},
		{"stuck from the start", func(int) []string { return []string{"same"} }, func(int) bool { return false },
			"nothing changed for 10s; last seen: look 10", 11},
		{"moved, then stuck", func(i int) []string { return []string{fmt.Sprint(min(i, 5))} }, func(int) bool { return false },
			"nothing changed for 10s; last seen: look 15", 16},
		{"going round in circles (a task failing and retried) is no progress",
			func(i int) []string { return []string{[]string{"pending", "starting", "failed"}[i%3]} }, func(int) bool { return false },
			"nothing changed for 10s; last seen: look 12", 13},
		{"always moving, never done: the cap", func(i int) []string { return []string{fmt.Sprint(i)} }, func(int) bool { return false },
			"not done after 1m0s, although it was still changing; last seen: look 60", 61},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			looks := 0
			var shown []string
			err := follow(context.Background(), clk, time.Second, p, func(s string) { shown = append(shown, s) }, func(context.Context) (sight, error) {
				i := looks
				looks++
				return sight{done: tt.done(i), shown: fmt.Sprintf("look %d", i), marks: tt.marks(i)}, nil
			})
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if looks != tt.looks {
				t.Errorf("%d looks, want %d", looks, tt.looks)
			}
			if len(shown) != looks || shown[len(shown)-1] != fmt.Sprintf("look %d", looks-1) && tt.want == "" {
				t.Errorf("progress shown: %v", shown)
			}
		})
	}
}

func TestFollowStopsOnErrorsAndCancel(t *testing.T) {
	t.Parallel()
	p := Patience{Stall: time.Minute, Max: time.Hour}
	boom := errors.New("boom")
	err := follow(context.Background(), newClock(), time.Second, p, func(string) {}, func(context.Context) (sight, error) { return sight{}, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("a look's error: got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = follow(ctx, newClock(), time.Second, p, func(string) {}, func(context.Context) (sight, error) {
		return sight{shown: "halfway", marks: []string{"x"}}, nil
	})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "halfway") {
		t.Fatalf("cancelled: got %v", err)
	}
}

func TestWithWaited(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		waited, quiet time.Duration
		want          string
	}{
		{10 * time.Second, 10 * time.Second, "2/4"},
		{45 * time.Second, 5 * time.Second, "2/4; waited 30s"},
		{100 * time.Second, 70 * time.Second, "2/4; waited 1m30s, no change for 1m0s"},
	} {
		if got := withWaited("2/4", tt.waited, tt.quiet); got != tt.want {
			t.Errorf("withWaited(%s, %s) = %q, want %q", tt.waited, tt.quiet, got, tt.want)
		}
	}
}
