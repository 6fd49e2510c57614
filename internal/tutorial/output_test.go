package tutorial

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWriteText(t *testing.T) {
	s := at(t, "tag")
	typed(s, "tag")
	delete(s.HostImages, "localhost:5000/visualizer:latest")
	p := Evaluate(Steps(testEnv), testEnv, s, English)
	var b bytes.Buffer
	WriteText(&b, p)
	out := b.String()
	for _, want := range []string{
		`swarmlab tutorial: lab "swarmlab", step 6 of 22`,
		" ✓  1 init            Initialise the swarm on the manager\n",
		" ·  5 node-ls         Check each node from the manager\n",
		" ✗  6 tag             Tag the container images for the registry\n",
		"    7 push            Push the images to the local registry\n",
		"Next: 5. Check each node from the manager, in manager's CLI (docker exec -it manager sh) (to look at, nothing to check)\n\n    docker node ls\n",
		"Next: 6. Tag the container images for the registry, on the host\n\n    docker image tag swtest/api:latest localhost:5000/swtest/api:latest\n",
		"    docker image tag swarmlab/visualizer:latest localhost:5000/visualizer:latest\n",
		"  Now: 3 of 4 tagged; missing localhost:5000/visualizer:latest\n",
		"  Try: swarmlab's image for visualizer is swarmlab/visualizer:latest, not the handout's dockersamples/visualizer\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "docker service create") {
		t.Errorf("only the next steps' commands are printed:\n%s", out)
	}

	b.Reset()
	WriteText(&b, Evaluate(Steps(testEnv), testEnv, fresh(), Japanese))
	for _, want := range []string{"ステップ 1/22", "次: 1. manager CLIでswarm初期化コマンドを入力、managerのCLIで (docker exec -it manager sh)", "    docker swarm init"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Japanese output lacks %q:\n%s", want, b.String())
		}
	}
}

func TestWriteTextFinished(t *testing.T) {
	rec := map[string]bool{}
	for _, st := range Steps(testEnv) {
		rec[st.ID] = true
	}
	var b bytes.Buffer
	WriteText(&b, Evaluate(Steps(testEnv), testEnv, &State{Lab: LabDown, Record: rec}, English))
	if !strings.Contains(b.String(), "Every step is done: the tutorial is finished.") || strings.Contains(b.String(), "Next:") {
		t.Fatalf("got:\n%s", b.String())
	}
}

// TestJSONFields pins the field names of --json, which scripts and the
// end-to-end tests read (docs/tutorial.md lists them).
func TestJSONFields(t *testing.T) {
	p := Evaluate(Steps(testEnv), testEnv, at(t, "push"), English)
	p.At, p.Elapsed = time.Now(), time.Second
	var b bytes.Buffer
	if err := WriteJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "\n") != 1 {
		t.Fatalf("want one line: %q", b.String())
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if got, want := keys(m), []string{"at", "current", "elapsedNs", "finished", "lab", "labState", "lang", "message", "position", "steps", "total"}; !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	steps := m["steps"].([]any)
	first := steps[0].(map[string]any)
	if got, want := keys(first), []string{"by", "checked", "commands", "detail", "id", "n", "note", "status", "title", "where"}; !slices.Equal(got, want) {
		t.Errorf("step fields %v, want %v", got, want)
	}
	if m["current"] != "push" || m["position"] != 7.0 || first["status"] != "done" || first["by"] != "state" {
		t.Errorf("values: current %v position %v status %v by %v", m["current"], m["position"], first["status"], first["by"])
	}
}

func TestWriteChanges(t *testing.T) {
	steps := Steps(testEnv)
	s := at(t, "network")
	before := Evaluate(steps, testEnv, s, English)
	after := Evaluate(steps, testEnv, typed(learner(s, before), "network"), English)
	var b bytes.Buffer
	WriteChanges(&b, &before, after)
	want := " ✓ 14 network: Create the overlay network (swtest_net: overlay, attachable)\n ▶ 16 stack-deploy: Deploy the stack as swtest, in manager's CLI (docker exec -it manager sh): docker stack deploy -c /stack/webapi.yml swtest\n"
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	WriteChanges(&b, &after, after)
	if b.Len() != 0 {
		t.Fatalf("no change, yet: %q", b.String())
	}
	later := after
	later.At = after.At.Add(time.Second)
	if !Same(after, later) {
		t.Fatal("progresses that differ only in time are the same to the learner")
	}
}
