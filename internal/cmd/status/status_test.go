package status

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/cmdtest"
	"github.com/swarmlab/swarmlab/internal/docker/fakedocker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

var lab2Ports = cmdtest.Ports{Registry: 5001, Ingress: 8001, Visualizer: 9001, Stats: 1937}

func TestStatusOfAMissingLabNamesIt(t *testing.T) {
	r := cmdtest.Run(fakedocker.New(), NewCommand, "--name", "lab2", "status")
	if !errors.Is(r.Error, lab.ErrNoLab) {
		t.Fatalf("err = %v", r.Error)
	}
	if got, want := cli.HintOf(r.Error), "create it with 'swarmlab --name lab2 up'"; got != want {
		t.Fatalf("hint = %q, want %q", got, want)
	}
}

func TestStatusShowsTheLabsPorts(t *testing.T) {
	e := fakedocker.New()
	cmdtest.AddLab(e, "lab2", 2, container.StateExited, lab2Ports)
	cmdtest.AddLab(e, "swarmlab", 3, container.StateExited, lab.Defaults().Ports)
	r := cmdtest.Run(e, NewCommand, "--name", "lab2", "status")
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	for _, want := range []string{"LAB lab2", "registry 5001, ingress 8001, visualizer 9001, stats 1937 on 127.0.0.1", "worker02", "exited", "swarm: "} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.Out)
		}
	}
	if strings.Contains(r.Out, "worker03") {
		t.Errorf("the other lab's nodes are shown:\n%s", r.Out)
	}

	r = cmdtest.Run(e, NewCommand, "--name", "lab2", "status", "--json")
	var st lab.Status
	if err := json.Unmarshal([]byte(r.Out), &st); err != nil || r.Error != nil {
		t.Fatalf("json: %v, %v:\n%s", err, r.Error, r.Out)
	}
	if st.Endpoints.Ports != lab2Ports || len(st.Nodes) != 3 {
		t.Fatalf("json: %+v", st)
	}
}

// A config that is not valid stops every command before the engine is
// reached, not only up.
func TestStatusValidatesTheConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lab.yaml")
	if err := os.WriteFile(file, []byte("workers: -1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := cmdtest.Run(fakedocker.New(), NewCommand, "--config", file, "status")
	if r.Error == nil || !strings.Contains(r.Error.Error(), "workers -1") || !strings.Contains(cli.HintOf(r.Error), file) {
		t.Fatalf("err = %v (hint %q)", r.Error, cli.HintOf(r.Error))
	}
	if r.Connects != 0 {
		t.Fatalf("the engine was opened %d times for a config that is not valid", r.Connects)
	}
}

// status says which heartbeat the swarm has, who chose it and why.
func TestPrintSaysTheHeartbeat(t *testing.T) {
	for _, tt := range []struct {
		hb   lab.HeartbeatChoice
		want string
	}{
		{lab.HeartbeatChoice{Period: 2 * time.Second, By: lab.HeartbeatBySwarmlab, Why: "the manager's engine answered in 9ms"}, "HEARTBEAT 2s, chosen by swarmlab: the manager's engine answered in 9ms"},
		{lab.HeartbeatChoice{Period: 5 * time.Second, By: lab.HeartbeatByUser, Why: "--heartbeat or the config file"}, "HEARTBEAT 5s, given: --heartbeat or the config file"},
		{lab.HeartbeatChoice{Period: 5 * time.Second}, "HEARTBEAT 5s (no reason recorded"},
	} {
		var out strings.Builder
		Print(cli.Streams{Out: &out}, lab.Status{Name: "swarmlab", Heartbeat: &tt.hb})
		if got := strings.Join(strings.Fields(out.String()), " "); !strings.Contains(got, tt.want) {
			t.Errorf("output lacks %q:\n%s", tt.want, out.String())
		}
	}
	var out strings.Builder
	Print(cli.Streams{Out: &out}, lab.Status{Name: "swarmlab"})
	if strings.Contains(out.String(), "HEARTBEAT") {
		t.Errorf("a heartbeat without a swarm:\n%s", out.String())
	}
}
