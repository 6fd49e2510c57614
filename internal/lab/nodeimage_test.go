package lab

import (
	"context"
	"errors"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// initEngine starts containers with an init only when it has one.
type initEngine struct {
	*fakeEngine
	hasInit  bool
	withInit map[string]bool
}

func (f *initEngine) ContainerCreate(ctx context.Context, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig, pl *ocispec.Platform, name string) (container.CreateResponse, error) {
	r, err := f.fakeEngine.ContainerCreate(ctx, cfg, hc, nc, pl, name)
	f.withInit[r.ID] = hc.Init != nil && *hc.Init
	return r, err
}

func (f *initEngine) ContainerStart(ctx context.Context, id string, o container.StartOptions) error {
	if f.withInit[id] && !f.hasInit {
		return errors.New(`exec: "docker-init": executable file not found in $PATH`)
	}
	return f.fakeEngine.ContainerStart(ctx, id, o)
}

func TestTryInit(t *testing.T) {
	for _, has := range []bool{true, false} {
		f := &initEngine{fakeEngine: newFake(), hasInit: has, withInit: map[string]bool{}}
		if got := TryInit(context.Background(), f, LocalNodeImage, "unit"); got != has {
			t.Errorf("engine with init %v: TryInit = %v", has, got)
		}
		if len(f.Containers) != 0 {
			t.Errorf("trial container left behind: %v", f.Containers)
		}
	}
}

// trialEngine is an engine with an ID that counts the trial containers.
type trialEngine struct {
	*initEngine
	id      string
	created int
}

func (f *trialEngine) Info(ctx context.Context) (system.Info, error) {
	info, err := f.initEngine.Info(ctx)
	info.ID = f.id
	return info, err
}

func (f *trialEngine) ContainerCreate(ctx context.Context, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig, pl *ocispec.Platform, name string) (container.CreateResponse, error) {
	f.created++
	return f.initEngine.ContainerCreate(ctx, cfg, hc, nc, pl, name)
}

func TestEngineTrialsAreCachedPerEngineAndImage(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	ctx := context.Background()
	newEngine := func(id string, privileged, init bool) *trialEngine {
		f := &trialEngine{initEngine: &initEngine{fakeEngine: newFake(), hasInit: init, withInit: map[string]bool{}}, id: id}
		f.Privileged = privileged
		f.Images[LocalNodeImage] = true
		f.Images["other:1"] = true
		return f
	}
	a := newEngine("A", false, true)
	for i, wantCreated := range []int{2, 2} { // the second run reads the cache
		got, err := EngineTrials(ctx, a, LocalNodeImage, "unit")
		if err != nil {
			t.Fatal(err)
		}
		if got != (Trials{Privileged: false, Init: true}) || a.created != wantCreated {
			t.Errorf("run %d: trials %+v after %d trial containers, want {false true} after %d", i+1, got, a.created, wantCreated)
		}
	}
	if _, err := EngineTrials(ctx, a, "other:1", "unit"); err != nil || a.created != 4 {
		t.Errorf("another image: %d trial containers, want 4 (err %v)", a.created, err)
	}
	// Another engine is tried anew, and keeps its own answer.
	b := newEngine("B", true, false)
	if got, err := EngineTrials(ctx, b, LocalNodeImage, "unit"); err != nil || got != (Trials{Privileged: true, Init: false}) || b.created != 2 {
		t.Errorf("engine B: %+v after %d trial containers (err %v)", got, b.created, err)
	}
	// An engine without an ID is never cached.
	c := newEngine("", true, true)
	for range 2 {
		EngineTrials(ctx, c, LocalNodeImage, "unit")
	}
	if c.created != 4 {
		t.Errorf("engine without an ID: %d trial containers, want 4", c.created)
	}
}
