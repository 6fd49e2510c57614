package learner

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

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

// 'h QUESTION' and Enter in --watch raises a hand; other lines do nothing.
func TestKeysRaiseAHand(t *testing.T) {
	t.Setenv(client.HomeEnv, t.TempDir())
	s, err := class.Open(context.Background(), class.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	if _, err := client.Join(context.Background(), ts.URL, s.Code, "Aiko"); err != nil {
		t.Fatal(err)
	}
	var said []string
	Keys(context.Background(), strings.NewReader("hello\nhx\nh why is my <stack> down?\n"), func(m string) { said = append(said, m) })
	l := s.Learners()[0]
	if l.Hand == nil || l.Hand.Question != "why is my <stack> down?" || len(said) != 1 || !strings.HasPrefix(said[0], "hand raised") {
		t.Fatalf("hand %+v, said %q", l.Hand, said)
	}
}
