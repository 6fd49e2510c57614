package nodeimage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
)

func TestCanBuild(t *testing.T) {
	ok := Host{OS: "linux", Arch: "amd64", EngineArch: "amd64", Root: true, Debootstrap: true, AptGet: true, Command: "./swarmlab"}
	with := func(change func(*Host)) Host { h := ok; change(&h); return h }
	tests := []struct {
		name        string
		host        Host
		wantInstall bool
		wantHint    string // "" when it can build
	}{
		{"ready", ok, false, ""},
		{"installs debootstrap with apt-get", with(func(h *Host) { h.Debootstrap = false }), true, ""},
		{"no apt-get", with(func(h *Host) { h.Debootstrap, h.AptGet = false, false }), false, "install debootstrap with your package manager"},
		{"not root", with(func(h *Host) { h.Root = false }), false, "sudo ./swarmlab build node-image"},
		{"macOS", with(func(h *Host) { h.OS = "darwin" }), false, "docker pull docker:dind"},
		{"Windows", with(func(h *Host) { h.OS = "windows" }), false, "docker pull docker:dind"},
		{"engine of another architecture", with(func(h *Host) { h.EngineArch = "arm64" }), false, "of the engine's architecture"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			install, err := tt.host.CanBuild("docker:dind cannot be pulled")
			if install != tt.wantInstall {
				t.Errorf("install = %v, want %v", install, tt.wantInstall)
			}
			if tt.wantHint == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(cli.HintOf(err), tt.wantHint) || !strings.Contains(err.Error(), "docker:dind cannot be pulled") {
				t.Fatalf("err = %v, hint %q; want %q", err, cli.HintOf(err), tt.wantHint)
			}
		})
	}
}

func TestMirrorIn(t *testing.T) {
	tests := map[string]string{
		"Types: deb\nURIs: http://deb.debian.org/debian-security\nURIs: http://mirror.example/debian\n": "http://mirror.example/debian",
		"deb [arch=amd64] http://ftp.jp.debian.org/debian bookworm main\n":                              "http://ftp.jp.debian.org/debian",
		"deb http://archive.ubuntu.com/ubuntu noble main\n":                                             "", // the nodes are Debian
		"Types: deb\nURIs: http://archive.ubuntu.com/ubuntu/\n":                                         "",
	}
	for content, want := range tests {
		p := filepath.Join(t.TempDir(), "sources")
		os.WriteFile(p, []byte(content), 0o644)
		if got := mirrorIn(p); got != want {
			t.Errorf("mirrorIn(%q) = %q, want %q", content, got, want)
		}
	}
}
