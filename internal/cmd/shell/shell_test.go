package shell

import (
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/cmdtest"
	"github.com/swarmlab/swarmlab/internal/docker/fakedocker"
)

func TestShellArguments(t *testing.T) {
	e := fakedocker.New()
	cmdtest.AddLab(e, "lab2", 1, container.StateExited, cmdtest.Ports{Registry: 5001})
	tests := []struct {
		args      []string
		err, hint string
	}{
		{[]string{"shell"}, "accepts 1 arg(s), received 0", ""},
		{[]string{"--name", "lab2", "shell", "worker07"}, `lab "lab2" has no node "worker07"`, "nodes are: manager, registry, worker01"},
		{[]string{"--name", "lab2", "shell", "worker01"}, "worker01 is not running", "'swarmlab --name lab2 node start worker01' or 'swarmlab --name lab2 start'"},
		{[]string{"--name", "lab9", "shell", "manager"}, `lab "lab9": no such lab`, "'swarmlab --name lab9 up'"},
	}
	for _, tt := range tests {
		r := cmdtest.Run(e, NewCommand, tt.args...)
		if r.Error == nil || !strings.Contains(r.Error.Error(), tt.err) || !strings.Contains(cli.HintOf(r.Error), tt.hint) {
			t.Errorf("%q: err = %v, hint %q", tt.args, r.Error, cli.HintOf(r.Error))
		}
	}
}
