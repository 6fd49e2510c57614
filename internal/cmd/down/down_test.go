package down

import (
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/swarmlab/swarmlab/internal/cmd/cmdtest"
	"github.com/swarmlab/swarmlab/internal/docker/fakedocker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

func TestDownKeepsTheRegistrysImagesUnlessPurged(t *testing.T) {
	e := fakedocker.New()
	cfg := cmdtest.AddLab(e, "lab2", 2, container.StateRunning, cmdtest.Ports{Registry: 5001})
	other := cmdtest.AddLab(e, "swarmlab", 1, container.StateRunning, lab.Defaults().Ports)
	r := cmdtest.Run(e, NewCommand, "--name", "lab2", "down")
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	if got := strings.Join(e.Names(), " "); got != "manager registry worker01" {
		t.Fatalf("left on the engine: %s (only the other lab should be)", got)
	}
	if e.Volumes[cfg.RegistryVolume()] == nil || e.Volumes[cfg.VolumeName("worker01")] != nil || e.Volumes[other.VolumeName("worker01")] == nil {
		t.Fatalf("volumes: %v", e.Volumes)
	}
	if _, ok := e.Networks["lab2"]; ok {
		t.Fatal("the network stayed")
	}
	if want := "'swarmlab --name lab2 down --purge'"; !strings.Contains(r.Err, want) {
		t.Fatalf("stderr lacks %s:\n%s", want, r.Err)
	}

	if r = cmdtest.Run(e, NewCommand, "--name", "lab2", "down", "--purge"); r.Error != nil || e.Volumes[cfg.RegistryVolume()] != nil {
		t.Fatalf("--purge: %v, volumes %v", r.Error, e.Volumes)
	}
	if r = cmdtest.Run(e, NewCommand, "--name", "lab2", "down"); r.Error != nil || !strings.Contains(r.Err, `lab "lab2" does not exist`) {
		t.Fatalf("a second down: %v\n%s", r.Error, r.Err)
	}
}
