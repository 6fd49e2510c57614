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

	"github.com/swarmlab/swarmlab/internal/docker"
)

// DefaultTag is the image Build makes unless told otherwise, and the one
// 'swarmlab up' falls back to when docker:dind cannot be pulled.
const DefaultTag = "swarmlab/node:latest"

// Options tune the build.
type Options struct {
	Tag    string // image name; default DefaultTag
	Mirror string // Debian mirror; default: apt's own, else deb.debian.org
	Suite  string // Debian release; default bookworm
}

// Packages make a node: the engine and CLI, and what its networking needs.
var Packages = []string{"docker.io", "iptables", "iproute2", "procps", "ca-certificates"}

// Build runs debootstrap and imports the root file system as an image whose
// entrypoint is dockerd, like docker:dind's. It builds even when the image
// exists; progress receives short details as it goes (about a minute).
func Build(ctx context.Context, e docker.Engine, o Options, progress func(string)) error {
	if o.Tag == "" {
		o.Tag = DefaultTag
	}
	if o.Suite == "" {
		o.Suite = "bookworm"
	}
	deboot, err := Debootstrap()
	if err != nil {
		return err
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

	progress("debootstrap " + o.Suite + " from " + o.Mirror)
	cmd := exec.CommandContext(ctx, deboot, "--variant=minbase", "--include="+strings.Join(Packages, ","), o.Suite, rootfs, o.Mirror)
	if err := runLines(cmd, func(line string) {
		if strings.HasPrefix(line, "I: ") {
			progress(strings.TrimPrefix(line, "I: "))
		}
	}); err != nil {
		return fmt.Errorf("debootstrap failed: %w", err)
	}

	progress("importing " + o.Tag)
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
	if err != nil {
		return fmt.Errorf("import %s: %w", o.Tag, err)
	}
	return nil
}

// runLines runs cmd, passing each line of its output to line, and returns
// an error that keeps the last lines when it fails.
func runLines(cmd *exec.Cmd, line func(string)) error {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	var tail []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		tail = append(tail, sc.Text())
		if len(tail) > 20 {
			tail = tail[1:]
		}
		line(sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("%w\n%s", err, strings.Join(tail, "\n"))
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
		case len(f) >= 2 && f[0] == "URIs:" && strings.Contains(f[1], "debian") && !strings.Contains(f[1], "security"):
			return f[1]
		case len(f) >= 3 && f[0] == "deb" && !strings.Contains(line, "security"):
			for _, w := range f[1:] {
				if strings.HasPrefix(w, "http") && strings.Contains(w, "debian") { // not an Ubuntu mirror: the nodes are Debian
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
