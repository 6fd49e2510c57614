package tutorial

import (
	"slices"
	"testing"
)

// TestTargetsMatchTheSteps: what goto makes at the start of each step is
// what typing the steps before it leaves, as the checks see it.
func TestTargetsMatchTheSteps(t *testing.T) {
	steps := Steps(testEnv)
	for i := range steps[:len(steps)-1] {
		want := TargetAt(steps, i)
		got := haveOf(after(i), testEnv)
		slices.Sort(want.Stacks)
		slices.Sort(got.Stacks)
		if got.Swarm != want.Swarm || !slices.Equal(got.Joined, want.Joined) || got.Tagged != want.Tagged || got.Pushed != want.Pushed ||
			got.Pulled != want.Pulled || got.API != want.API || got.Network != want.Network || !slices.Equal(got.Stacks, want.Stacks) ||
			got.Worker01Stopped != want.Worker01Stopped {
			t.Errorf("at %s: the lab holds %+v, goto makes %+v", steps[i].ID, got.Target, want)
		}
		if got.needsReset(want) || got.strange || got.apiWrong || got.networkWrong {
			t.Errorf("at %s: the lab as typed needs no reset: %+v", steps[i].ID, got)
		}
	}
}

func TestNeedsReset(t *testing.T) {
	steps := Steps(testEnv)
	finished := haveOf(after(len(steps)-1), testEnv)
	for _, tt := range []struct {
		step  string
		reset bool
	}{
		{"init", true}, {"join-worker03", true}, {"tag", true}, {"push", true},
		{"pull", false}, {"service-create", false}, {"network", false}, {"ingress", false}, {"down", false},
	} {
		i, _ := Find(steps, tt.step)
		if got := finished.needsReset(TargetAt(steps, i)); got != tt.reset {
			t.Errorf("from the finished lab to %s: reset %v, want %v", tt.step, got, tt.reset)
		}
	}
	s := after(10)
	s.Workers["worker02"] = Engine{Reachable: true, SwarmState: "active", NodeID: "other"}
	for i := range s.Swarm.Nodes {
		if s.Swarm.Nodes[i].Hostname == "worker02" {
			s.Swarm.Nodes = slices.Delete(s.Swarm.Nodes, i, i+1)
			break
		}
	}
	if h := haveOf(s, testEnv); !h.needsReset(TargetAt(steps, 10)) {
		t.Error("a worker in another swarm needs a reset")
	}
}

func TestFind(t *testing.T) {
	steps := Steps(testEnv)
	for _, id := range []string{"tag", "6"} {
		if i, err := Find(steps, id); err != nil || steps[i].ID != "tag" {
			t.Errorf("Find(%q) = %d, %v", id, i, err)
		}
	}
	if _, err := Find(steps, "nope"); err == nil {
		t.Error("want an error naming the steps")
	}
}
