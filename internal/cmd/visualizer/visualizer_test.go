package visualizer

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/cli"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestDemoServesAndStops(t *testing.T) {
	port := freePort(t)
	env := map[string]string{"PORT": strconv.Itoa(port), "CTX_ROOT": "/viz", "VISUALIZER_DEMO": "1"}
	var stderr bytes.Buffer
	streams := cli.Streams{In: strings.NewReader(""), Out: io.Discard, Err: &stderr}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- runE(ctx, slog.New(slog.DiscardHandler), streams, &flags{}, func(k string) string { return env[k] })
	}()

	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/viz/api/state"
	var st struct {
		Nodes []json.RawMessage `json:"nodes"`
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(st.Nodes) == 0 {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no demo state at %s; stderr:\n%s", url, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
		resp, err := http.Get(url)
		if err != nil {
			continue
		}
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
	}
	if len(st.Nodes) != 4 {
		t.Errorf("demo has %d nodes, want 4", len(st.Nodes))
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("runE after cancel = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("command did not stop after cancel")
	}
	if !strings.Contains(stderr.String(), "/viz/") {
		t.Errorf("stderr does not say where it serves:\n%s", stderr.String())
	}
}

func TestBadEnvHasHint(t *testing.T) {
	t.Parallel()
	streams := cli.Streams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}
	env := map[string]string{"RESYNC_INTERVAL": "10s"}
	err := runE(context.Background(), slog.New(slog.DiscardHandler), streams, &flags{}, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "RESYNC_INTERVAL") || cli.HintOf(err) == "" {
		t.Errorf("err = %v (hint %q), want a RESYNC_INTERVAL error with a hint", err, cli.HintOf(err))
	}
}

func TestCommandRejectsArgs(t *testing.T) {
	t.Parallel()
	cmd := NewCommand(slog.New(slog.DiscardHandler), cli.Streams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard})
	cmd.SetArgs([]string{"extra"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err == nil {
		t.Error("visualizer accepted an argument")
	}
	if cmd.Flags().Lookup("demo") == nil {
		t.Error("no --demo flag")
	}
}
