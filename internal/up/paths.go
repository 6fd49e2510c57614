package up

// Host folders the engine bind-mounts (the stack folder at /stack), which
// Docker Desktop can only do for folders it shares.

import (
	"fmt"
	"strings"

	"github.com/swarmlab/swarmlab/internal/cli"
)

// checkMountable says why dir cannot be a bind-mount source for an engine
// reached from goos, or returns nil.
func checkMountable(goos, dir string) error {
	if goos == "windows" && (strings.HasPrefix(dir, `\\`) || strings.HasPrefix(dir, "//")) {
		return cli.WithHint(fmt.Errorf("the stack folder %s is a network or WSL path, which Docker Desktop cannot mount", dir), `run swarmlab from a folder on a Windows drive (C:\...) or set stackDir (--stack-dir) to one; inside WSL, use the Linux swarmlab`)
	}
	return nil
}

// mountErr adds what to do when the engine refuses to mount dir.
func mountErr(err error, dir string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, refusal := range []string{"Mounts denied", "is not shared from the host", "bind source path does not exist", "invalid mount config"} {
		if strings.Contains(msg, refusal) {
			return cli.WithHint(err, fmt.Sprintf("share %s with the engine (Docker Desktop: Settings → Resources → File sharing), or set stackDir (--stack-dir) to a folder under your home", dir))
		}
	}
	return err
}
