package lab

import (
	"runtime"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/payload"
)

func TestImageBinaryChoice(t *testing.T) {
	if !payload.SelfServes || runtime.GOOS != "linux" {
		t.Skip("a build from source on Linux ships itself")
	}
	other := map[string]string{"amd64": "aarch64", "arm64": "x86_64"}[runtime.GOARCH]
	tests := []struct {
		name, path, os, arch string
		want                 string // in the error or its hint
	}{
		{"another architecture", "", "linux", other, "release archive"},
		{"Windows containers", "", "windows", "x86_64", "Switch to Linux containers"},
		{"not a binary", "/etc/hostname", "linux", runtime.GOARCH, "not a Linux binary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ImageBinary(tt.path, tt.os, tt.arch)
			if err == nil || !strings.Contains(err.Error()+cli.HintOf(err), tt.want) {
				t.Fatalf("err = %v (hint %q), want %q", err, cli.HintOf(err), tt.want)
			}
		})
	}
}
