package learner

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/class"
	"github.com/swarmlab/swarmlab/internal/class/client"
	"github.com/swarmlab/swarmlab/internal/tutorial"
)

// A tick carries the tutorial's state only: not the commands, the details
// or the notes.
func TestTickSendsTheStateOnly(t *testing.T) {
	p := tutorial.Progress{Lab: "swarmlab", LabState: "running", Lang: "en", Current: "tag", Position: 3, Total: 22,
		Steps: []tutorial.StepProgress{
			{ID: "init", Status: "done", Commands: []string{"docker swarm init SECRETCMD"}, Detail: "SECRETDETAIL"},
			{ID: "tag", Status: "current", Hint: "push it first", Note: "SECRETNOTE", Commands: []string{"docker tag SECRETCMD"}},
		}}
	tk := Tick(p)
	b, _ := json.Marshal(tk)
	for _, leak := range []string{"SECRETCMD", "SECRETDETAIL", "SECRETNOTE"} {
		if strings.Contains(string(b), leak) {
			t.Fatalf("the tick carries %s: %s", leak, b)
		}
	}
	if tk.Hint != "push it first" || tk.Current != "tag" || len(tk.Steps) != 2 || tk.Steps[0].Status != "done" {
		t.Fatalf("tick %s", b)
	}
}

// joined starts a class server and joins it as Aiko.
func joined(t *testing.T) *class.Server {
	t.Helper()
	t.Setenv(client.HomeEnv, t.TempDir())
	s, err := class.Open(context.Background(), class.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	if _, err := client.Join(context.Background(), ts.URL, s.Code, "Aiko"); err != nil {
		t.Fatal(err)
	}
	return s
}

// handUp waits up to 5 s for the learner's hand on the server.
func handUp(t *testing.T, s *class.Server) *class.Hand {
	t.Helper()
	for range 100 {
		if l := s.Learners(); len(l) == 1 && l[0].Hand != nil {
			return l[0].Hand
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no hand raised on the server")
	return nil
}

// 'h QUESTION' and Enter in --watch raises a hand; other lines do nothing.
func TestKeysRaiseAHand(t *testing.T) {
	s := joined(t)
	var said []string
	Keys(context.Background(), strings.NewReader("hello\nhx\nh why is my <stack> down?\n"), func(m string) { said = append(said, m) })
	l := s.Learners()[0]
	if l.Hand == nil || l.Hand.Question != "why is my <stack> down?" || len(said) != 1 || !strings.HasPrefix(said[0], "hand raised") {
		t.Fatalf("hand %+v, said %q", l.Hand, said)
	}
}

// In single-key mode h alone raises a hand, with no Enter; the keys that
// send escape sequences (Home is ESC [ H or ESC O H) raise none. Fed
// through a pipe that stays open, as a keyboard does.
func TestSingleKeyRaisesAHand(t *testing.T) {
	s := joined(t)
	r := client.NewReporter()
	pr, pw := io.Pipe()
	defer pw.Close()
	said := make(chan [2]string, 4)
	go singleKeys(context.Background(), pr, r.RaiseHand, func(m [2]string) { said <- m })
	if _, err := pw.Write([]byte("x\x1b[H\x1bOH\x1b[1;5H")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if l := s.Learners()[0]; l.Hand != nil {
		t.Fatalf("an escape sequence raised a hand: %+v", l.Hand)
	}
	if _, err := pw.Write([]byte("h")); err != nil {
		t.Fatal(err)
	}
	m := <-said
	if !strings.HasPrefix(m[0], "hand raised at") || !strings.Contains(m[1], "手を挙げました") {
		t.Fatalf("said %q", m)
	}
	if h := handUp(t, s); h.Question != "(no question)" {
		t.Fatalf("hand %+v", h)
	}
	// The answer is the feed at once: --watch shows the hand up, and how to
	// add a question.
	if f, ok := r.Feed(); !ok || !f.HandOpen {
		t.Fatalf("feed %+v %v", f, ok)
	}
	lines := strings.Join(Lines(r, "en", nil, true), "\n")
	if !strings.Contains(lines, "your hand is up") || !strings.Contains(lines, `swarmlab class hand "question"`) {
		t.Fatalf("lines:\n%s", lines)
	}
	// A second h says the hand is up already.
	if _, err := pw.Write([]byte("h")); err != nil {
		t.Fatal(err)
	}
	if m := <-said; m[0] != "your hand is already up" {
		t.Fatalf("said %q", m)
	}
}

// The line that says which key raises a hand, in both languages.
func TestLinesSayTheKey(t *testing.T) {
	joined(t)
	r := client.NewReporter()
	for _, c := range []struct {
		lang   string
		single bool
		want   string
	}{
		{"en", true, `Press h to raise a hand (to add a question, from any terminal: swarmlab class hand "question")`},
		{"ja", true, `h キーで手を挙げる（質問を添えるには、どの端末からでも: swarmlab class hand "質問"）`},
		{"en", false, "Type h and Enter to raise a hand"},
		{"ja", false, "h と Enter で手を挙げる"},
	} {
		if got := strings.Join(Lines(r, c.lang, nil, c.single), "\n"); !strings.Contains(got, c.want) {
			t.Errorf("%s single=%v:\n%s", c.lang, c.single, got)
		}
	}
}
