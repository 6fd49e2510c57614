package docker

import (
	"fmt"
	"strings"

	"github.com/docker/docker/client"

	"github.com/swarmlab/swarmlab/internal/cli"
)

// ExplainConnect turns a failure to reach the engine into what to do about
// it on goos, or returns nil when err is something else. Docker Desktop's
// engine not running shows as a missing named pipe on Windows and a missing
// or refused socket on macOS and Linux.
func ExplainConnect(err error, goos string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	lower := strings.ToLower(msg)
	pipe := strings.Contains(lower, "//./pipe/") || strings.Contains(lower, `\\.\pipe\`)
	socketGone := strings.Contains(lower, "no such file or directory") || strings.Contains(lower, "connection refused") ||
		strings.Contains(lower, "the system cannot find the file specified")
	if !client.IsErrConnectionFailed(err) && !strings.Contains(msg, "Cannot connect to the Docker daemon") && !pipe && !socketGone &&
		!strings.Contains(lower, "permission denied while trying to connect") && !strings.Contains(lower, "error during connect") {
		return nil
	}
	wrapped := fmt.Errorf("cannot reach the Docker engine: %w", err)
	var hint string
	switch {
	case strings.Contains(lower, "permission denied"):
		hint = "add yourself to the docker group ('sudo usermod -aG docker $USER', then log in again), or run swarmlab with sudo"
	case goos == "windows" && pipe && strings.Contains(lower, "access is denied"):
		hint = "run the terminal as the user who runs Docker Desktop, or add yourself to the docker-users group"
	case goos == "windows":
		hint = "start Docker Desktop and wait until it says the engine is running; it must use Linux containers (its menu: 'Switch to Linux containers...')"
	case goos == "darwin":
		hint = "start Docker Desktop ('open -a Docker') and wait until it says the engine is running; with Colima or another engine, start it or set DOCKER_HOST"
	default:
		hint = "start Docker: 'sudo systemctl start docker' (or 'sudo dockerd &' where there is no systemd), or Docker Desktop; check DOCKER_HOST"
	}
	return cli.WithHint(wrapped, hint+"; 'swarmlab doctor' checks the rest")
}
