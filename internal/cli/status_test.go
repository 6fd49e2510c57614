package cli

import (
	"bytes"
	"errors"
	"regexp"
	"testing"
)

func TestStatusPlainLines(t *testing.T) {
	var b bytes.Buffer
	s := NewStatus(&b, false)
	s.Start("Starting nodes")
	s.Progress("1/4")
	s.Progress("1/4") // unchanged: not repeated
	s.Progress("4/4")
	s.Start("Joining") // ends the open step as a success
	s.End(false)
	s.Infof("a note")
	want := `^ • Starting nodes \.\.\.
   Starting nodes: 1/4
   Starting nodes: 4/4
 ✓ Starting nodes \(\d.*\)
 • Joining \.\.\.
 ✗ Joining \(\d.*\)
 ℹ a note
$`
	if !regexp.MustCompile(want).MatchString(b.String()) {
		t.Fatalf("got:\n%s", b.String())
	}
}

func TestStatusQuietKeepsFailures(t *testing.T) {
	var b bytes.Buffer
	s := NewStatus(&b, true)
	s.Start("ok step")
	s.End(true)
	s.Start("bad step")
	s.End(false)
	if got := b.String(); !regexp.MustCompile(`^ ✗ bad step \(.*\)\n$`).MatchString(got) {
		t.Fatalf("got %q", got)
	}
}

func TestHints(t *testing.T) {
	err := WithHint(errors.New("boom"), "do this")
	wrapped := errors.Join(errors.New("context"), err)
	if HintOf(wrapped) != "do this" || WithHint(nil, "x") != nil || HintOf(errors.New("plain")) != "" {
		t.Fatal("hints are not carried through wrapping")
	}
}
