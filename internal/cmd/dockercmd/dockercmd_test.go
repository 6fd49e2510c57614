package dockercmd

import (
	"errors"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/cmdtest"
	"github.com/swarmlab/swarmlab/internal/docker/fakedocker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// swarmlab's own --name and --config may come before the docker CLI's
// arguments; everything after them is docker's, flags included.
func TestDockerArguments(t *testing.T) {
	for _, args := range [][]string{{"docker"}, {"docker", "--help"}, {"docker", "--name", "lab2", "-h"}} {
		r := cmdtest.Run(fakedocker.New(), NewCommand, args...)
		if r.Error != nil || !strings.Contains(r.Out, "Run the docker CLI on the manager") || r.Connects != 0 {
			t.Errorf("%q: %v, %d connects:\n%s", args, r.Error, r.Connects, r.Out)
		}
	}
	for _, args := range [][]string{{"docker", "--name", "lab2", "node", "ls"}, {"--name", "lab2", "docker", "ps", "--name", "x"}, {"docker", "--name=lab2", "node", "ls"}} {
		r := cmdtest.Run(fakedocker.New(), NewCommand, args...)
		if !errors.Is(r.Error, lab.ErrNoLab) || !strings.Contains(r.Error.Error(), `"lab2"`) || cli.HintOf(r.Error) != "create it with 'swarmlab --name lab2 up'" {
			t.Errorf("%q: err = %v, hint %q", args, r.Error, cli.HintOf(r.Error))
		}
	}
	r := cmdtest.Run(fakedocker.New(), NewCommand, "docker", "--name", "BAD", "node", "ls")
	if r.Error == nil || !strings.Contains(r.Error.Error(), `name "BAD"`) || r.Connects != 0 {
		t.Errorf("a bad --name: %v", r.Error)
	}
}
