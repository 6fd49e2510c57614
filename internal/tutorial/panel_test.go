package tutorial

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/visualizer/panel"
)

func TestPanel(t *testing.T) {
	env := testEnv
	env.Join = "docker swarm join --token SWMTKN-1-secret 172.28.0.10:2377"
	s := at(t, "join-worker02")
	p := Evaluate(Steps(env), env, s, English)
	p.At = time.Now()
	shown := PanelOf(p)
	data, _ := json.Marshal(shown)
	if strings.Contains(string(data), "secret") {
		t.Fatalf("the join token reached the page: %s", data)
	}
	var withCommands []string
	for _, st := range shown.Steps {
		if len(st.Commands) > 0 {
			withCommands = append(withCommands, st.ID)
		}
	}
	if !slices.Equal(withCommands, []string{"join-worker02"}) || shown.Steps[2].Commands[0] != "docker swarm join --token SWMTKN-1-... 172.28.0.10:2377" {
		t.Fatalf("commands on %v: %+v", withCommands, shown.Steps[2])
	}
	// What the label says is done is the record the next read starts from.
	rec := recordOf(string(data))
	if got := slices.Sorted(maps.Keys(rec)); !slices.Equal(got, slices.Sorted(slices.Values(p.Done()))) {
		t.Fatalf("record %v, done %v", got, p.Done())
	}
	if panel.Parse(string(data)) == nil {
		t.Fatal("the visualizer cannot read the label")
	}
	later := PanelOf(p)
	later.At = p.At.Add(time.Minute)
	data2, _ := json.Marshal(later)
	if !sameLabel(string(data), string(data2)) || sameLabel(string(data), "") {
		t.Fatal("labels that differ only in time are the same")
	}
}

// fakeSwarm holds a swarm's spec; the first update fails when conflict is set.
type fakeSwarm struct {
	spec     swarm.Spec
	version  uint64
	conflict bool
}

func (f *fakeSwarm) SwarmInspect(context.Context) (swarm.Swarm, error) {
	return swarm.Swarm{ClusterInfo: swarm.ClusterInfo{Meta: swarm.Meta{Version: swarm.Version{Index: f.version}}, Spec: f.spec}}, nil
}

func (f *fakeSwarm) SwarmUpdate(_ context.Context, v swarm.Version, spec swarm.Spec, _ swarm.UpdateFlags) error {
	if f.conflict {
		f.conflict, f.version = false, f.version+1
		return errors.New("update out of sequence")
	}
	if v.Index != f.version {
		return errors.New("update out of sequence")
	}
	f.spec, f.version = spec, f.version+1
	return nil
}

func TestWriteLabel(t *testing.T) {
	f := &fakeSwarm{spec: swarm.Spec{Annotations: swarm.Annotations{Labels: map[string]string{"other": "kept"}}}, conflict: true}
	if err := writeLabel(context.Background(), f, `{"steps":[]}`); err != nil {
		t.Fatal(err)
	}
	if f.spec.Labels[panel.Label] != `{"steps":[]}` || f.spec.Labels["other"] != "kept" {
		t.Fatalf("labels %v", f.spec.Labels)
	}
	if err := writeLabel(context.Background(), f, ""); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.spec.Labels[panel.Label]; ok || f.spec.Labels["other"] != "kept" {
		t.Fatalf("labels after removal %v", f.spec.Labels)
	}
}
