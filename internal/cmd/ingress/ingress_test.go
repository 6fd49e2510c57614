package ingress

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
)

func TestBadSettingRefused(t *testing.T) {
	cmd := NewCommand(slog.New(slog.DiscardHandler), cli.Streams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard})
	cmd.SetArgs([]string{"--static-backends", "nohost", "--stats-auth", "nopassword"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "STATIC_BACKENDS") || !strings.Contains(err.Error(), "STATS_AUTH") || cli.HintOf(err) == "" {
		t.Fatalf("got %v (hint %q)", err, cli.HintOf(err))
	}
}

func TestStaticModeRunsUntilCancelled(t *testing.T) {
	cmd := NewCommand(slog.New(slog.DiscardHandler), cli.Streams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard})
	cmd.SetArgs([]string{"--static-backends", "127.0.0.1:1", "--listen", "127.0.0.1:0", "--stats-port", "0"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("cancelled ingress returned %v", err)
	}
}
