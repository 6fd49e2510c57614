package tutorial

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLearnerTicksEachStepInTurn types the handout's steps one by one into
// the fake lab, evaluating after each as --watch does: exactly the steps
// typed so far are done, never one early, and the current step is the next
// one to type.
func TestLearnerTicksEachStepInTurn(t *testing.T) {
	steps := Steps(testEnv)
	s := fresh()
	p := Evaluate(steps, testEnv, s, English)
	for k := 0; k <= len(steps); k++ {
		if k > 0 {
			s = typed(learner(s, p), steps[k-1].ID)
		}
		p = Evaluate(steps, testEnv, s, English)
		var want []string
		for _, st := range steps[:k] {
			if st.Check != nil {
				want = append(want, st.ID)
			}
		}
		if got := p.Done(); !slices.Equal(got, want) {
			t.Fatalf("after %d steps: done = %v, want %v", k, got, want)
		}
		next := ""
		for _, st := range steps[k:] {
			if st.Check != nil {
				next = st.ID
				break
			}
		}
		if p.Current != next {
			t.Fatalf("after %d steps: current = %q, want %q", k, p.Current, next)
		}
		for _, sp := range p.Steps {
			if sp.Hint != "" && sp.Status == StatusCurrent {
				t.Errorf("after %d steps, typed as written: hint on %s: %s", k, sp.ID, sp.Hint)
			}
		}
	}
	if !p.Finished {
		t.Fatal("not finished after the last step")
	}
}

// TestTransientStepsNeedTheRecordOrALaterStep: a service created, scaled
// and removed leaves nothing; without the record, the steps count as done
// only once the learner is past them.
func TestTransientStepsNeedTheRecordOrALaterStep(t *testing.T) {
	steps := Steps(testEnv)
	i, _ := Find(steps, "service-rm")
	s := after(i + 1) // api removed, nobody watching: no record
	p := Evaluate(steps, testEnv, s, English)
	if p.Current != "service-create" {
		t.Fatalf("without the record, current = %s, want service-create", p.Current)
	}
	typed(s, "network")
	p = Evaluate(steps, testEnv, s, English)
	if sp, _ := p.Step("service-scale"); sp.Status != StatusDone || sp.By != ByLater {
		t.Fatalf("once swtest_net exists the services chapter is behind: %+v", sp)
	}
	if p.Current != "stack-deploy" {
		t.Fatalf("current = %s, want stack-deploy", p.Current)
	}
}

// TestStepsOutOfOrder: a learner who skips ahead gets the skipped step as
// the current one; a later step typed first is done, but vouches for none
// of the traceless steps in between.
func TestStepsOutOfOrder(t *testing.T) {
	steps := Steps(testEnv)
	i, _ := Find(steps, "tag")
	s := after(i) // the swarm is formed; nothing tagged
	typed(s, "network")
	p := Evaluate(steps, testEnv, s, English)
	if p.Current != "tag" {
		t.Fatalf("current = %s, want tag", p.Current)
	}
	if sp, _ := p.Step("network"); sp.Status != StatusDone {
		t.Fatalf("swtest_net exists: %+v", sp)
	}
	for _, id := range []string{"push", "pull", "service-create", "service-scale", "service-rm"} {
		if sp, _ := p.Step(id); sp.Status == StatusDone {
			t.Errorf("%s is done although it was skipped: %+v", id, sp)
		}
	}

	// The stack deployed before the images are pushed: its tasks cannot
	// pull, which the stack step says once the learner gets there.
	s.Swarm.Services = append(s.Swarm.Services,
		Service{Name: "swtest_api", Stack: "swtest", Image: "registry:5000/swtest/api:latest", Replicas: 3, LastError: "No such image: registry:5000/swtest/api:latest"},
		Service{Name: "swtest_nginx", Stack: "swtest", Image: "registry:5000/swtest/nginx:latest", Replicas: 3})
	p = Evaluate(steps, testEnv, s, English)
	if sp, _ := p.Step("stack-deploy"); p.Current != "tag" || sp.Status == StatusDone || !strings.Contains(sp.Hint, "are the images pushed") {
		t.Fatalf("current %s, stack-deploy %+v", p.Current, sp)
	}
}

// TestRecordYieldsToUndo: a step recorded done whose work was taken back is
// not done any more, and the learner is sent back to it.
func TestRecordYieldsToUndo(t *testing.T) {
	steps := Steps(testEnv)
	i, _ := Find(steps, "stack-deploy")
	s := after(i + 1)
	s.Record = map[string]bool{}
	for _, st := range steps[:i+1] {
		s.Record[st.ID] = true
	}
	s.Swarm.Networks = slices.DeleteFunc(s.Swarm.Networks, func(n Network) bool { return n.Name == "swtest_net" })
	p := Evaluate(steps, testEnv, s, English)
	if p.Current != "network" {
		t.Fatalf("swtest_net removed: current = %s, want network", p.Current)
	}
	if sp, _ := p.Step("stack-deploy"); sp.Status != StatusDone {
		t.Fatalf("the stack still runs: %+v", sp)
	}
}

func TestLabStates(t *testing.T) {
	steps := Steps(testEnv)
	tests := []struct {
		name    string
		state   *State
		current string
		status  string // of every step but down
		message string
	}{
		{"absent", &State{Lab: LabAbsent}, "", StatusTodo, "swarmlab up --hands-on"},
		{"down without memory", &State{Lab: LabDown}, "", StatusUnknown, "taken down"},
		{"stopped without memory", &State{Lab: LabStopped}, "", StatusUnknown, "swarmlab start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Evaluate(steps, testEnv, tt.state, English)
			if p.Current != tt.current || !strings.Contains(p.Message, tt.message) {
				t.Fatalf("current %q, message %q", p.Current, p.Message)
			}
			for _, sp := range p.Steps {
				if sp.Checked && sp.ID != "down" && sp.Status != tt.status {
					t.Errorf("%s: %s, want %s", sp.ID, sp.Status, tt.status)
				}
			}
		})
	}
	// Stopped with memory (a --watch that saw the steps): the next step is
	// known, and what to do about the stopped lab is said.
	i, _ := Find(steps, "lab-restart")
	rec := map[string]bool{}
	for _, st := range steps[:i] {
		rec[st.ID] = true
	}
	p := Evaluate(steps, testEnv, &State{Lab: LabStopped, Record: rec}, English)
	if p.Current != "lab-restart" {
		t.Fatalf("stopped at lab-restart: current %q", p.Current)
	}
	// Down after the last step, seen by --watch: finished.
	rec["lab-restart"] = true
	p = Evaluate(steps, testEnv, &State{Lab: LabDown, Record: rec}, English)
	if !p.Finished || p.Current != "" {
		t.Fatalf("down after every step: finished %v, current %q", p.Finished, p.Current)
	}
}

func TestLabRestartNeedsTheWholeLab(t *testing.T) {
	steps := Steps(testEnv)
	i, _ := Find(steps, "lab-restart")
	s := after(i)
	p := Evaluate(steps, testEnv, s, English)
	s = learner(s, p)
	// worker01 started on its own: not the step.
	c := s.Containers["worker01"]
	c.Running, c.StartedAt = true, c.FinishedAt.Add(time.Minute)
	s.Containers["worker01"] = c
	p = Evaluate(steps, testEnv, s, English)
	if sp, _ := p.Step("lab-restart"); sp.Status != StatusCurrent || !strings.Contains(sp.Hint, "swarmlab stop") {
		t.Fatalf("worker01 alone: %+v", sp)
	}
}

func TestJapanese(t *testing.T) {
	p := Evaluate(Steps(testEnv), testEnv, fresh(), Japanese)
	if p.Steps[0].Title != "manager CLIでswarm初期化コマンドを入力" || p.Lang != Japanese {
		t.Fatalf("title %q", p.Steps[0].Title)
	}
	for _, st := range Steps(testEnv) {
		if st.Title.Ja == "" {
			t.Errorf("%s has no Japanese title", st.ID)
		}
	}
}
