package docker

import (
	"errors"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
)

// The messages are the ones the Docker client gives on each OS when the
// engine is not running or not reachable.
func TestExplainConnect(t *testing.T) {
	tests := []struct {
		name, goos, msg, hint string
	}{
		{"Docker Desktop stopped, Windows", "windows",
			`error during connect: Get "http://%2F%2F.%2Fpipe%2FdockerDesktopLinuxEngine/v1.47/info": open //./pipe/dockerDesktopLinuxEngine: The system cannot find the file specified.`,
			"start Docker Desktop"},
		{"default pipe, Windows", "windows",
			`error during connect: this error may indicate that the docker daemon is not running: Get "http://%2F%2F.%2Fpipe%2Fdocker_engine/_ping": open //./pipe/docker_engine: The system cannot find the file specified.`,
			"Linux containers"},
		{"pipe access denied, Windows", "windows",
			`error during connect: Get "http://%2F%2F.%2Fpipe%2Fdocker_engine/v1.41/info": open //./pipe/docker_engine: Access is denied.`,
			"docker-users"},
		{"Docker Desktop stopped, macOS", "darwin",
			`Cannot connect to the Docker daemon at unix:///Users/me/.docker/run/docker.sock. Is the docker daemon running?`,
			"open -a Docker"},
		{"no socket, macOS", "darwin",
			`error during connect: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.47/info": dial unix /var/run/docker.sock: connect: no such file or directory`,
			"open -a Docker"},
		{"dockerd stopped, Linux", "linux",
			`Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?`,
			"systemctl start docker"},
		{"not in the docker group, Linux", "linux",
			`permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.41/info": dial unix /var/run/docker.sock: connect: permission denied`,
			"docker group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ExplainConnect(errors.New(tt.msg), tt.goos)
			if err == nil || !strings.Contains(err.Error(), "cannot reach the Docker engine") || !strings.Contains(cli.HintOf(err), tt.hint) {
				t.Fatalf("err = %v, hint %q; want %q", err, cli.HintOf(err), tt.hint)
			}
		})
	}
	if err := ExplainConnect(errors.New("No such image: docker:dind"), "linux"); err != nil {
		t.Errorf("not a connection error, but explained as one: %v", err)
	}
}
