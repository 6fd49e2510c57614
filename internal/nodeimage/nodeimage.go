package nodeimage

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/jsonmessage"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
)

// Options tune the build.
type Options struct {
	Tag    string // image name; default swarmlab/node:latest
	Mirror string // Debian mirror; default: apt's own, else deb.debian.org
	Suite  string // Debian release; default bookworm
	Force  bool   // rebuild even if the image exists
}

// Packages make a node: the engine and CLI, and what its networking needs.
var Packages = []string{"docker.io", "iptables", "iproute2", "procps", "ca-certificates"}

// Build runs debootstrap and imports the root file system as an image whose
// entrypoint is dockerd, like docker:dind's.
func Build(ctx context.Context, e docker.Engine, status *cli.Status, o Options) error {
	if o.Tag == "" {
		o.Tag = "swarmlab/node:latest"
	}
	if o.Suite == "" {
		o.Suite = "bookworm"
	}
	if !o.Force {
		if _, err := e.ImageInspect(ctx, o.Tag); err == nil {
			status.Infof("%s is already built (rebuild with --force)", o.Tag)
			return nil
		}
	}
	deboot, err := exec.LookPath("debootstrap")
	if err != nil {
		return cli.Hintf("install it: 'apt-get install -y debootstrap' (Debian/Ubuntu), then run this again as root", "debootstrap is not installed")
	}
	if os.Geteuid() != 0 {
		return cli.Hintf("run it as root: 'sudo swarmlab build node-image'", "debootstrap needs root")
	}
	if o.Mirror == "" {
		o.Mirror = AptMirror()
	}
	dir, err := os.MkdirTemp("", "swarmlab-node-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rootfs := filepath.Join(dir, "rootfs")

	status.Start(fmt.Sprintf("Installing %s from %s (debootstrap, about a minute)", strings.Join(Packages, ", "), o.Mirror))
	cmd := exec.CommandContext(ctx, deboot, "--variant=minbase", "--include="+strings.Join(Packages, ","), o.Suite, rootfs, o.Mirror)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		status.End(false)
		return err
	}
	var tail []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		tail = append(tail, line)
		if len(tail) > 20 {
			tail = tail[1:]
		}
		if strings.HasPrefix(line, "I: ") {
			status.Progress(strings.TrimPrefix(line, "I: "))
		}
	}
	if err := cmd.Wait(); err != nil {
		status.End(false)
		return fmt.Errorf("debootstrap failed: %w\n%s", err, strings.Join(tail, "\n"))
	}
	status.End(true)

	status.Start("Importing " + o.Tag)
	// The apt cache is not needed in a node; dropping it saves ~100 MB.
	_ = os.RemoveAll(filepath.Join(rootfs, "var", "cache", "apt", "archives"))
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarDir(ctx, rootfs, pw)) }()
	rc, err := e.ImageImport(ctx, image.ImportSource{Source: pr, SourceName: "-"}, o.Tag, image.ImportOptions{
		Changes: []string{`ENTRYPOINT ["dockerd"]`, `VOLUME /var/lib/docker`, `LABEL io.swarmlab.node-image=debootstrap-` + o.Suite},
	})
	if err == nil {
		err = jsonmessage.DisplayJSONMessagesStream(rc, io.Discard, 0, false, nil)
		rc.Close()
	}
	status.End(err == nil)
	if err != nil {
		return fmt.Errorf("import %s: %w", o.Tag, err)
	}
	return nil
}

// AptMirror returns the Debian mirror apt uses on this machine, so the build
// works where only that mirror is reachable.
func AptMirror() string {
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	files = append(files, "/etc/apt/sources.list")
	for _, f := range files {
		if m := mirrorIn(f); m != "" {
			return m
		}
	}
	return "http://deb.debian.org/debian"
}

func mirrorIn(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "URIs:" && !strings.Contains(f[1], "security"):
			return f[1]
		case len(f) >= 3 && f[0] == "deb" && !strings.Contains(line, "security"):
			for _, w := range f[1:] {
				if strings.HasPrefix(w, "http") {
					return w
				}
			}
		}
	}
	return ""
}

// tarDir streams dir as a tar archive with the system's tar, which keeps
// hard links, devices, owners and modes as debootstrap made them.
func tarDir(ctx context.Context, dir string, w io.Writer) error {
	cmd := exec.CommandContext(ctx, "tar", "-C", dir, "--numeric-owner", "-c", ".")
	cmd.Stdout = w
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("tar: %w: %s", err, stderr.String())
	}
	return nil
}
