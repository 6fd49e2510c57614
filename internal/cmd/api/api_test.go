package api

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/cli"
)

func newCmd(t *testing.T, logs *bytes.Buffer, args ...string) error {
	t.Helper()
	var out bytes.Buffer
	cmd := NewCommand(slog.New(slog.NewTextHandler(logs, nil)), cli.Streams{Out: &out, Err: &out})
	cmd.SetArgs(args)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // start and stop at once: this tests the wiring, not the server
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("command did not stop on a cancelled context")
		return nil
	}
}

func TestCommandStartsAndStops(t *testing.T) {
	t.Setenv("SWARM_NODE", "worker01")
	var logs bytes.Buffer
	if err := newCmd(t, &logs, "--addr", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"component=api", "node=worker01", "msg=stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
}

func TestCommandRejectsBadEnvironment(t *testing.T) {
	t.Setenv("SWARM_TASK_SLOT", "one")
	err := newCmd(t, new(bytes.Buffer), "--addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "SWARM_TASK_SLOT") || cli.HintOf(err) == "" {
		t.Fatalf("err = %v (hint %q), want one naming SWARM_TASK_SLOT with a hint", err, cli.HintOf(err))
	}
}

func TestCommandRejectsBadAddr(t *testing.T) {
	err := newCmd(t, new(bytes.Buffer), "--addr", "8080")
	if err == nil || cli.HintOf(err) == "" {
		t.Fatalf("err = %v, want a usage error with a hint", err)
	}
}
