package proxy

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
)

func TestBadBackendRefused(t *testing.T) {
	t.Setenv("BACKEND_HOST", "")
	var out bytes.Buffer
	cmd := NewCommand(slog.New(slog.DiscardHandler), cli.Streams{In: strings.NewReader(""), Out: &out, Err: io.Discard})
	cmd.SetArgs([]string{"--backend", "http://swtest_api:8080/"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "BACKEND_HOST") || cli.HintOf(err) == "" {
		t.Fatalf("got %v (hint %q), want a BACKEND_HOST error with a hint", err, cli.HintOf(err))
	}
}
