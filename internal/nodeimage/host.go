package nodeimage

// Whether this machine can build the node image, and what to run where it
// cannot: 'swarmlab up' builds it by itself where it can.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/swarmlab/swarmlab/internal/cli"
)

// Host is what decides whether the node image can be built here.
type Host struct {
	OS, Arch    string // this machine's, as runtime.GOOS and GOARCH
	EngineArch  string // the engine's, as Go names it (amd64, arm64)
	Root        bool
	Debootstrap bool   // installed
	AptGet      bool   // can install it
	Command     string // how the user runs swarmlab, for the commands we suggest
}

// ThisHost describes this machine for an engine of engineArch.
func ThisHost(engineArch string) Host {
	_, derr := Debootstrap()
	_, aerr := exec.LookPath("apt-get")
	return Host{
		OS: runtime.GOOS, Arch: runtime.GOARCH, EngineArch: engineArch,
		Root: os.Geteuid() == 0, Debootstrap: derr == nil, AptGet: aerr == nil,
		Command: invokedAs(),
	}
}

// invokedAs is how the user ran swarmlab: ./swarmlab from an unpacked
// archive, swarmlab from the PATH.
func invokedAs() string {
	if len(os.Args) == 0 || !strings.ContainsRune(os.Args[0], os.PathSeparator) {
		return "swarmlab"
	}
	return os.Args[0]
}

// CanBuild returns nil when Build can run here, once debootstrap is
// installed when install is set; else an error whose hint says exactly
// what to run instead. why says why the image is needed.
func (h Host) CanBuild(why string) (install bool, err error) {
	switch {
	case h.OS != "linux":
		return false, cli.WithHint(fmt.Errorf("%s, and the node image can only be built on Linux", why), "let the engine pull it: 'docker pull docker:dind' shows why it cannot (Docker Desktop: Settings → Resources → Proxies, or sign in), then run 'swarmlab up' again; or give another Docker-in-Docker image with --node-image")
	case h.EngineArch != "" && h.EngineArch != h.Arch:
		return false, cli.WithHint(fmt.Errorf("%s, and this machine (%s) cannot build one for the engine (%s)", why, h.Arch, h.EngineArch), fmt.Sprintf("pull docker:dind, or build the node image on a Linux machine of the engine's architecture with 'sudo %s build node-image' and load it", h.Command))
	case !h.Root:
		return false, cli.WithHint(fmt.Errorf("%s, and building one offline needs root", why), fmt.Sprintf("run 'sudo %[1]s build node-image' once (about a minute, from Debian packages), then '%[1]s up' again", h.Command))
	case h.Debootstrap:
		return false, nil
	case h.AptGet:
		return true, nil
	}
	return false, cli.WithHint(fmt.Errorf("%s, and building one offline needs debootstrap, which is not installed", why), fmt.Sprintf("install debootstrap with your package manager (Fedora: 'dnf install debootstrap'), then run '%s up' again", h.Command))
}

// Debootstrap finds debootstrap, also in /usr/sbin, which a user's PATH may lack.
func Debootstrap() (string, error) {
	if p, err := exec.LookPath("debootstrap"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/debootstrap", "/sbin/debootstrap"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", cli.WithHint(errors.New("debootstrap is not installed"), "install it: 'apt-get install -y debootstrap' (Debian/Ubuntu), then run this again as root")
}

// InstallDebootstrap installs debootstrap with apt-get, reading the package
// lists first when apt does not know it yet (a fresh machine).
func InstallDebootstrap(ctx context.Context, progress func(string)) error {
	install := func() error {
		cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "-q", "debootstrap")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return runLines(cmd, func(string) {})
	}
	progress("apt-get install debootstrap")
	err := install()
	if err == nil {
		return nil
	}
	progress("apt-get update")
	if uerr := runLines(exec.CommandContext(ctx, "apt-get", "update", "-q"), func(string) {}); uerr != nil {
		return fmt.Errorf("apt-get update: %w", uerr)
	}
	progress("apt-get install debootstrap")
	if err := install(); err != nil {
		return cli.WithHint(fmt.Errorf("apt-get install debootstrap: %w", err), "install debootstrap by hand, then run 'swarmlab up' again")
	}
	_, err = Debootstrap()
	return err
}
