//go:build e2e

// Package e2e runs swarmlab as a user does, against a real Docker engine:
// one lab is brought up for the whole package and shared by every test, then
// torn down. Run with 'make e2e' (or 'go test -tags e2e ./e2e/'). In CI
// (CI=true) a missing engine fails the tests instead of skipping them.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// The shared lab: a name and ports of its own, so a learner's lab on the
// same engine is left alone.
const labName = "e2e"

var (
	bin     string // the swarmlab binary under test
	repo    string // the repository root, where ./stack lives
	ports   = lab.Ports{Ingress: 18000, Visualizer: 19000, Stats: 11936, Registry: 15000}
	upErr   error
	upOut   string
	testLab *lab.Lab
)

func TestMain(m *testing.M) {
	code := func() int {
		if err := setup(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e setup:", err)
			if os.Getenv("CI") == "true" {
				return 1
			}
			fmt.Fprintln(os.Stderr, "skipping the end-to-end tests (set CI=true to make this a failure)")
			return 0
		}
		return m.Run()
	}()
	os.Exit(code)
}

func setup() error {
	wd, _ := os.Getwd()
	repo = filepath.Dir(wd)
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		return fmt.Errorf("no Docker engine: %v\n%s", err, out)
	}
	dir, err := os.MkdirTemp("", "swarmlab-e2e-")
	if err != nil {
		return err
	}
	bin = filepath.Join(dir, "swarmlab")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./cmd/swarmlab")
	build.Dir, build.Env = repo, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	eng, err := docker.Connect()
	if err != nil {
		return err
	}
	cfg := lab.Defaults()
	cfg.Name, cfg.Ports = labName, ports
	testLab = lab.New(cfg, eng, cli.NewStatus(io.Discard, true), slog.New(slog.NewTextHandler(io.Discard, nil)))
	// Start from nothing, registry data included, so the run is repeatable.
	if out, err := swarmlab("down", "--purge"); err != nil {
		return fmt.Errorf("down before the run: %v\n%s", err, out)
	}
	return nil
}

// swarmlab runs the binary on the shared lab from the repository root.
func swarmlab(args ...string) (string, error) {
	return swarmlabIn(context.Background(), nil, args...)
}

func swarmlabIn(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	full := append([]string{"--name", labName}, args...)
	if len(args) > 0 && args[0] == "up" {
		full = append(full, "--ingress-port", fmt.Sprint(ports.Ingress), "--visualizer-port", fmt.Sprint(ports.Visualizer),
			"--stats-port", fmt.Sprint(ports.Stats), "--registry-port", fmt.Sprint(ports.Registry))
	}
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Dir, cmd.Stdin = repo, stdin
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// mustUp brings the shared lab up once; every test that needs it calls this.
func mustUp(t *testing.T) {
	t.Helper()
	if upOut == "" && upErr == nil {
		start := time.Now()
		upOut, upErr = swarmlab("up")
		upOut += fmt.Sprintf("\n(up took %s)\n", time.Since(start).Round(time.Second))
		save("up.log", upOut)
	}
	if upErr != nil {
		t.Fatalf("swarmlab up: %v\n%s", upErr, upOut)
	}
}

func artifacts() string {
	if d := os.Getenv("SWARMLAB_ARTIFACTS"); d != "" {
		os.MkdirAll(d, 0o755)
		return d
	}
	return os.TempDir()
}

func save(name, content string) {
	os.WriteFile(filepath.Join(artifacts(), name), []byte(content), 0o644)
}

func url(port int, path string) string { return fmt.Sprintf("http://127.0.0.1:%d%s", port, path) }

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func contains(t *testing.T, s, want string) {
	t.Helper()
	if !strings.Contains(s, want) {
		t.Fatalf("want %q in:\n%s", want, s)
	}
}
