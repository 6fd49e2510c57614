package learner

import (
	"encoding/json"
	"strings"
	"testing"

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
