package lab

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Real builds of a tiny module laid out as swarmlab is: the CLI takes the
// swarmlab-server beside it only when both come from the same build.
func TestServerBeside(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go programs")
	}
	src := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/lab\n\ngo 1.22\n")
	write("cmd/swarmlab/main.go", "package main\n\nfunc main() {}\n")
	write("cmd/swarmlab-server/main.go", "package main\n\nfunc main() {}\n")
	write("cmd/other/main.go", "package main\n\nfunc main() {}\n")
	build := func(dir, pkg, out string, flags ...string) string {
		t.Helper()
		path := filepath.Join(dir, out)
		cmd := exec.Command("go", append(append([]string{"build", "-o", path}, flags...), pkg)...)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, b)
		}
		return path
	}

	same := t.TempDir()
	exe := build(same, "./cmd/swarmlab", "swarmlab")
	server := build(same, "./cmd/swarmlab-server", ServerName)
	if got := serverBeside(exe); got != server {
		t.Errorf("same build: serverBeside = %q, want %q", got, server)
	}

	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(server, old, old); err != nil {
		t.Fatal(err)
	}
	if got := serverBeside(exe); got != "" {
		t.Errorf("a server built an hour before a CLI of no revision was taken: %q", got)
	}

	flags := t.TempDir()
	exe = build(flags, "./cmd/swarmlab", "swarmlab")
	build(flags, "./cmd/swarmlab-server", ServerName, "-ldflags=-X main.v=1")
	if got := serverBeside(exe); got != "" {
		t.Errorf("a server built with other flags was taken: %q", got)
	}

	other := t.TempDir()
	exe = build(other, "./cmd/swarmlab", "swarmlab")
	build(other, "./cmd/other", ServerName)
	if got := serverBeside(exe); got != "" {
		t.Errorf("another program named %s was taken: %q", ServerName, got)
	}

	if got := serverBeside(filepath.Join(t.TempDir(), "swarmlab")); got != "" {
		t.Errorf("no server: serverBeside = %q", got)
	}
}
