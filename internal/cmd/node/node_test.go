package node

import (
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/cmdtest"
	"github.com/swarmlab/swarmlab/internal/docker/fakedocker"
)

func TestNodeStopArguments(t *testing.T) {
	e := fakedocker.New()
	cmdtest.AddLab(e, "lab2", 2, container.StateRunning, cmdtest.Ports{Registry: 5001})
	tests := []struct {
		args      []string
		err, hint string
		connects  int
	}{
		{[]string{"node", "stop"}, "name the node to stop", "swarmlab node stop worker01", 0},
		{[]string{"--name", "lab2", "node", "stop", "worker09"}, `lab "lab2" has no node "worker09"`, "nodes are: manager, registry, worker01, worker02", 1},
		{[]string{"--name", "lab2", "node", "stop", "manager"}, "the only running manager", "stop a worker instead", 1},
		{[]string{"node", "start"}, "accepts 1 arg(s), received 0", "", 0},
	}
	for _, tt := range tests {
		r := cmdtest.Run(e, NewCommand, tt.args...)
		if r.Error == nil || !strings.Contains(r.Error.Error(), tt.err) || !strings.Contains(cli.HintOf(r.Error), tt.hint) || r.Connects != tt.connects {
			t.Errorf("%q: err = %v, hint %q, %d connects", tt.args, r.Error, cli.HintOf(r.Error), r.Connects)
		}
	}
	if len(e.Stopped) != 0 {
		t.Fatalf("stopped %v", e.Stopped)
	}
}
