package registry

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/cli"
)

func execute(t *testing.T, logs *bytes.Buffer, args ...string) error {
	t.Helper()
	var out bytes.Buffer
	cmd := NewCommand(slog.New(slog.NewTextHandler(logs, nil)), cli.Streams{Out: &out, Err: &out})
	cmd.SetArgs(args)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // start and stop at once: this tests the wiring, not the registry
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("command did not stop on a cancelled context")
		return nil
	}
}

func TestCommandStartsAndStops(t *testing.T) {
	data := t.TempDir() + "/reg"
	t.Setenv("REGISTRY_DATA", data)
	var logs bytes.Buffer
	if err := execute(t, &logs, "--addr", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "data="+data) || !strings.Contains(logs.String(), "msg=stopped") {
		t.Errorf("logs:\n%s", logs.String())
	}
	if _, err := os.Stat(data); err != nil {
		t.Errorf("data directory from $REGISTRY_DATA not used: %v", err)
	}
}

func TestCommandRejectsRelativeData(t *testing.T) {
	err := execute(t, new(bytes.Buffer), "--addr", "127.0.0.1:0", "--data", "reg")
	if err == nil || cli.HintOf(err) == "" {
		t.Fatalf("err = %v, want a usage error with a hint", err)
	}
}
