package servers

import (
	"io"
	"log/slog"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/kernel"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// Every image's entrypoint (/swarmlab COMMAND) must be a command of
// swarmlab-server, which a release ships in the images, as of the CLI.
func TestEveryImageCommandIsAServer(t *testing.T) {
	root := NewRoot(slog.New(slog.DiscardHandler), cli.Streams{Out: io.Discard, Err: io.Discard})
	// probe runs in the api image ('swarmlab docker run ... probe'),
	// kernel-check in the base image (up and doctor).
	cmds := []string{"probe", kernel.CheckCommand}
	for _, img := range append([]lab.Image{lab.RegistryImage, lab.EdgeImage}, lab.AppImages...) {
		cmds = append(cmds, img.Command)
	}
	for _, name := range cmds {
		if c, _, err := root.Find([]string{name}); err != nil || c == root {
			t.Errorf("swarmlab-server has no %q command", name)
		}
	}
	for _, cliOnly := range []string{"up", "down", "verify"} {
		if c, _, _ := root.Find([]string{cliOnly}); c != root {
			t.Errorf("swarmlab-server has the CLI's %q command", cliOnly)
		}
	}
}
