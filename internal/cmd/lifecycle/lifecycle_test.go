package lifecycle

import (
	"errors"
	"slices"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/cmdtest"
	"github.com/swarmlab/swarmlab/internal/docker/fakedocker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

func TestStopStopsEveryContainerOfTheLab(t *testing.T) {
	e := fakedocker.New()
	cmdtest.AddLab(e, "lab2", 2, container.StateRunning, cmdtest.Ports{Registry: 5001})
	cmdtest.AddLab(e, "swarmlab", 1, container.StateRunning, lab.Defaults().Ports)
	r := cmdtest.Run(e, NewStopCommand, "--name", "lab2", "stop")
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	slices.Sort(e.Stopped)
	if want := []string{"lab2-manager", "lab2-registry", "lab2-worker01", "lab2-worker02"}; !slices.Equal(e.Stopped, want) {
		t.Fatalf("stopped %v, want %v", e.Stopped, want)
	}
}

func TestStartAndStopOfAMissingLab(t *testing.T) {
	for _, newCommand := range []cmdtest.NewCommand{NewStopCommand, NewStartCommand} {
		c := newCommand(nil, cli.Streams{}, nil).Name()
		r := cmdtest.Run(fakedocker.New(), newCommand, "--name", "lab3", c)
		if !errors.Is(r.Error, lab.ErrNoLab) || cli.HintOf(r.Error) != "create it with 'swarmlab --name lab3 up'" {
			t.Errorf("%s: err = %v, hint %q", c, r.Error, cli.HintOf(r.Error))
		}
	}
}
