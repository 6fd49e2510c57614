//go:build e2e

package e2e

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// gotoStep runs 'swarmlab tutorial goto' and checks that the learner is then
// at the start of the step: every checked step before it done, none after.
func (l *learner) gotoStep(id string) []string {
	l.t.Helper()
	start := time.Now()
	l.swarmlab("tutorial", "goto", id)
	l.join = "" // a goto may have made a new swarm
	l.t.Logf("goto %-15s %5.1fs", id, time.Since(start).Seconds())
	var before []string
	for _, s := range stepIDs() {
		if s == id {
			break
		}
		if slices.Contains(checked(), s) {
			before = append(before, s)
		}
	}
	p := l.expect(before, 0)
	if want := firstChecked(id); p.Current != want {
		l.t.Fatalf("after goto %s, current %q, want %q\n%s", id, p.Current, want, describe(p))
	}
	return before
}

// firstChecked is the first checked step from id on.
func firstChecked(id string) string {
	ids := stepIDs()
	for _, s := range ids[slices.Index(ids, id):] {
		if slices.Contains(checked(), s) {
			return s
		}
	}
	return ""
}

// TestTutorialGoto tests checkpoints. In CI (the reduced form): goto the
// last step from an empty hands-on lab; then, from that finished lab, goto
// every checked step in turn, last first, each from where the one before
// left the lab, and type it: it must tick. Going back past a push, a tag, a
// join or the init starts over, and after 'down' the next goto makes a new
// lab, so gotos from an empty lab are covered too.
//
// SWARMLAB_TUTORIAL_FULL=1 (make e2e-tutorial-full) runs the whole matrix
// instead: every step from an empty lab and from a finished one, each
// followed by every remaining step typed until the end.
// SWARMLAB_TUTORIAL_STEPS=a,b and SWARMLAB_TUTORIAL_FROM=empty|finished
// run a part of it.
func TestTutorialGoto(t *testing.T) {
	if os.Getenv("SWARMLAB_TUTORIAL_FULL") != "" {
		fullMatrix(t)
		return
	}
	l := startHandsOn(t)
	l.gotoStep("down")
	ids := checked()
	slices.Reverse(ids)
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			l.t = t
			before := l.gotoStep(id)
			l.typeStep(id, before)
		})
		if t.Failed() {
			return
		}
	}
}

func fullMatrix(t *testing.T) {
	steps := stepIDs()
	if only := os.Getenv("SWARMLAB_TUTORIAL_STEPS"); only != "" {
		steps = strings.Split(only, ",")
	}
	froms := []string{"empty", "finished"}
	if from := os.Getenv("SWARMLAB_TUTORIAL_FROM"); from != "" {
		froms = []string{from}
	}
	l := startHandsOn(t)
	for _, from := range froms {
		for _, id := range steps {
			t.Run(from+"/"+id, func(t *testing.T) {
				l.t = t
				start := time.Now()
				if from == "empty" {
					l.swarmlab("tutorial", "reset")
					l.expect(nil, 0)
				} else {
					l.gotoStep("down")
				}
				done := l.gotoStep(id)
				all := stepIDs()
				for _, s := range all[slices.Index(all, id):] {
					done = l.typeStep(s, done)
				}
				t.Logf("from %s to %s, then typed to the end: %s", from, id, time.Since(start).Round(time.Second))
			})
		}
	}
}
