package lab

import (
	"context"
	"errors"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
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
