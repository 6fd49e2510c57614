package lab

import (
	"bytes"
	"io"
	"log/slog"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker/fakedocker"
)

// fakeEngine is the shared fake host engine, under the name these tests
// grew up with.
type fakeEngine = fakedocker.Engine

func newFake() *fakeEngine { return fakedocker.New() }

// testLab returns a lab named unit on fake, with its status lines in the
// buffer. Package up's tests have one that also serves the registry.
func testLab(t *testing.T, fake *fakeEngine) (*Lab, *bytes.Buffer) {
	t.Helper()
	cfg := Defaults()
	cfg.Name = "unit"
	cfg.StackDir = t.TempDir()
	var out bytes.Buffer
	l := New(cfg, fake, cli.NewStatus(&out, false), slog.New(slog.NewTextHandler(io.Discard, nil)))
	l.FindBinary = func(string, string, string) (string, string, error) { return "/dev/null", "sum", nil }
	return l, &out
}
