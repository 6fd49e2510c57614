package lab

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/jsonmessage"
	"golang.org/x/sync/errgroup"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/elfstrip"
	"github.com/swarmlab/swarmlab/internal/payload"
)

// Image is one of the images swarmlab builds from its own binary: every one
// is the same static binary in a scratch image, started as a subcommand, so
// the layer that holds it is shared and stored once in the registry.
type Image struct {
	Repo    string // name in the lab registry, as the tutorial names it
	Command string // swarmlab subcommand it runs
	Port    int    // port it listens on
}

// Images are the lab's images. The registry image stays on the host; the
// others are pushed to the lab registry for the nodes to pull.
var (
	RegistryImage = Image{Repo: "swarmlab/registry", Command: "registry", Port: 5000}
	EdgeImage     = Image{Repo: "swarmlab/edge", Command: "edge", Port: 80}
	AppImages     = []Image{
		{Repo: "swtest/api", Command: "api", Port: 8080},
		{Repo: "swtest/nginx", Command: "proxy", Port: 80},
		{Repo: "visualizer", Command: "visualizer", Port: 8080},
		{Repo: "haproxy", Command: "ingress", Port: 80},
	}
)

const (
	labelBinary = "io.swarmlab.binary"
	labelTitle  = "org.opencontainers.image.title" // only on the lab images, not on the base
)

// ImageBinary finds the Linux binary to put in images: path if given; else
// the server this release embeds for the engine's architecture; else, built
// from source, this executable when it fits the engine. It returns the path
// and its digest.
func ImageBinary(path, engineOS, engineArch string) (string, string, error) {
	arch := goArch(engineArch)
	if engineOS != "" && engineOS != "linux" {
		return "", "", cli.WithHint(fmt.Errorf("the engine runs %s containers; the lab needs Linux containers", engineOS), "switch Docker Desktop to Linux containers (its menu: 'Switch to Linux containers...'), then run this again")
	}
	hint := fmt.Sprintf("use the release archive for your OS, which carries the lab's servers for amd64 and arm64; or build a static Linux binary for the engine with 'CGO_ENABLED=0 GOOS=linux GOARCH=%s go build -o swarmlab-linux ./cmd/swarmlab' and pass it with --image-binary ./swarmlab-linux", arch)
	if path == "" {
		if payload.Has(arch) {
			return payload.Extract(arch)
		}
		if !payload.SelfServes {
			return "", "", cli.WithHint(fmt.Errorf("this swarmlab carries the lab's servers for linux/%s only, but the engine runs %s", strings.Join(payload.Archs(), ", linux/"), engineArch), "pass a static Linux swarmlab binary for it with --image-binary")
		}
		exe, err := os.Executable()
		if err != nil {
			return "", "", err
		}
		path = exe
		if runtime.GOOS != "linux" || runtime.GOARCH != arch {
			return "", "", cli.WithHint(fmt.Errorf("this swarmlab is built for %s/%s but the engine runs %s/%s, so it cannot ship itself in the lab's images", runtime.GOOS, runtime.GOARCH, engineOS, arch), hint)
		}
		if sib := serverBeside(exe); sib != "" {
			path = sib
		}
	}
	f, err := elf.Open(path)
	if err != nil {
		return "", "", cli.WithHint(fmt.Errorf("%s is not a Linux binary: %v", path, err), hint)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", "", cli.WithHint(fmt.Errorf("%s is dynamically linked, so it cannot run in the lab's scratch images", path), "build it with CGO_ENABLED=0 (as 'make build' does); "+hint)
		}
	}
	if want := elfMachine(arch); want != elf.EM_NONE && f.Machine != want {
		return "", "", cli.WithHint(fmt.Errorf("%s is for %s, but the engine runs %s", path, f.Machine, engineArch), hint)
	}
	sum, err := fileDigest(path)
	return path, sum, err
}

// ServerName is the servers' own binary (cmd/swarmlab-server).
const ServerName = "swarmlab-server"

// serverBeside returns the swarmlab-server next to exe when both were built
// from the same source, else "". It carries the servers alone, so its
// images are a few MB smaller than the whole CLI's; 'make build' and
// 'go install ./cmd/...' make both. Builds of a tree with uncommitted
// changes (or none at all) share one revision, so those must also be built
// within minutes of each other.
func serverBeside(exe string) string {
	sib := filepath.Join(filepath.Dir(exe), ServerName)
	theirs, err := buildinfo.ReadFile(sib)
	if err != nil {
		return ""
	}
	ours, err := buildinfo.ReadFile(exe)
	if err != nil || !sameBuild(ours, theirs) {
		return ""
	}
	if buildSetting(ours, "vcs.modified") != "false" {
		a, errA := os.Stat(exe)
		b, errB := os.Stat(sib)
		if errA != nil || errB != nil || a.ModTime().Sub(b.ModTime()).Abs() > 5*time.Minute {
			return ""
		}
	}
	return sib
}

// sameBuild reports whether server was built as cli was, from the same
// module, revision and settings.
func sameBuild(cli, server *debug.BuildInfo) bool {
	if server.Path != cli.Main.Path+"/cmd/"+ServerName || server.Main != cli.Main || server.GoVersion != cli.GoVersion {
		return false
	}
	for _, k := range []string{"vcs.revision", "vcs.modified", "-ldflags", "-tags", "CGO_ENABLED", "GOARCH", "GOOS"} {
		if buildSetting(cli, k) != buildSetting(server, k) {
			return false
		}
	}
	return true
}

func buildSetting(bi *debug.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

func goArch(engineArch string) string {
	switch engineArch {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64":
		return "arm64"
	}
	return engineArch
}

func elfMachine(arch string) elf.Machine {
	switch arch {
	case "amd64":
		return elf.EM_X86_64
	case "arm64":
		return elf.EM_AARCH64
	}
	return elf.EM_NONE
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// BaseImage is the local image that holds only the binary.
func BaseImage(sum string) string { return "swarmlab/base:" + sum }

// BuildImages makes the base image and every lab image from the binary,
// skipping those already made from the same binary. Each is one import of
// the same one-file layer with its settings: no builder containers (a
// Dockerfile's every LABEL or ENTRYPOINT ran one), and the engine stores the
// layer once.
func (l *Lab) BuildImages(ctx context.Context, binPath, sum string, images []Image) error {
	type todo struct {
		tag     string
		changes []string
	}
	var todos []todo
	if base := BaseImage(sum); !l.builtFrom(ctx, base, sum) {
		todos = append(todos, todo{base, []string{fmt.Sprintf("LABEL %s=%s", labelBinary, sum)}})
	}
	for _, img := range images {
		tag := img.Repo + ":latest"
		if l.builtFrom(ctx, tag, sum) {
			continue
		}
		todos = append(todos, todo{tag, []string{
			fmt.Sprintf("EXPOSE %d", img.Port),
			fmt.Sprintf("ENTRYPOINT [\"/swarmlab\", %q]", img.Command),
			fmt.Sprintf("LABEL %s=%s %s=%q", labelBinary, sum, labelTitle, img.Repo),
		}})
	}
	if len(todos) == 0 {
		return nil
	}
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return err
	}
	// A plain 'go build' carries DWARF and symbols: half the image.
	if bin, err = elfstrip.Strip(bin); err != nil {
		return fmt.Errorf("strip %s: %w", binPath, err)
	}
	layer, err := binaryLayer(bin)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, t := range todos {
		g.Go(func() error {
			rc, err := l.Engine.ImageImport(ctx, image.ImportSource{Source: bytes.NewReader(layer), SourceName: "-"}, t.tag, image.ImportOptions{Changes: t.changes})
			if err == nil {
				err = drain(rc)
				rc.Close()
			}
			if err != nil {
				return fmt.Errorf("build %s: %w", t.tag, EngineError(err))
			}
			return nil
		})
	}
	return g.Wait()
}

func (l *Lab) builtFrom(ctx context.Context, ref, sum string) bool {
	ins, err := l.Engine.ImageInspect(ctx, ref)
	return err == nil && ins.Config != nil && ins.Config.Labels[labelBinary] == sum
}

// binaryLayer is a tar of the binary alone, as /swarmlab. Its header is the
// same for the same binary, so every image's layer is the same one.
func binaryLayer(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "swarmlab", Mode: 0o755, Size: int64(len(bin))}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// drain reads an engine's JSON progress stream and returns the error it ends with.
func drain(r io.Reader) error {
	return jsonmessage.DisplayJSONMessagesStream(r, io.Discard, 0, false, nil)
}

// PushImages tags the app images for the lab registry as seen from the host
// (127.0.0.1:PORT/...) and pushes them; nodes pull them as registry:5000/...
// The port is the one the registry publishes (Endpoints), which differs from
// the config's when up moved a taken one.
func (l *Lab) PushImages(ctx context.Context, registryPort int, images []Image) error {
	auth := base64.URLEncoding.EncodeToString([]byte("{}"))
	for i, img := range images {
		src := img.Repo + ":latest"
		dst := fmt.Sprintf("127.0.0.1:%d/%s:latest", registryPort, img.Repo)
		l.Status.Progress(fmt.Sprintf("%d/%d %s", i+1, len(images), img.Repo))
		if err := l.Engine.ImageTag(ctx, src, dst); err != nil {
			return fmt.Errorf("tag %s: %w", dst, err)
		}
		rc, err := l.Engine.ImagePush(ctx, dst, image.PushOptions{RegistryAuth: auth})
		if err != nil {
			return fmt.Errorf("push %s: %w", dst, err)
		}
		err = drain(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("push %s: %w", dst, err)
		}
	}
	return nil
}

// NodeRegistry is the lab registry as the nodes reach it.
const NodeRegistry = "registry:5000"

// PullOnNode pulls images from the lab registry on one node, one after the
// other: they share their layers.
func (l *Lab) PullOnNode(ctx context.Context, containerID string, images []Image) error {
	cl, err := l.NodeClient(containerID)
	if err != nil {
		return err
	}
	defer cl.Close()
	for _, img := range images {
		ref := NodeRegistry + "/" + img.Repo + ":latest"
		rc, err := cl.ImagePull(ctx, ref, image.PullOptions{})
		if err != nil {
			return fmt.Errorf("pull %s on the node: %w", ref, err)
		}
		err = drain(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("pull %s on the node: %w", ref, err)
		}
	}
	return nil
}

// RemoveBuiltImages removes from the host engine what swarmlab built there:
// the base and lab images of every binary (those an older binary left
// untagged too) and their tags for a lab registry. Every lab on the engine
// shares them, so they stay while another lab has containers, and so does
// an image that a container still uses.
func (l *Lab) RemoveBuiltImages(ctx context.Context) error {
	cs, err := l.Engine.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", LabelLab))})
	if err != nil {
		return EngineError(err)
	}
	for _, c := range cs {
		if other := c.Labels[LabelLab]; other != l.Config.Name {
			oc := l.Config
			oc.Name = other
			l.Status.Infof("kept the images swarmlab built on the engine: lab %q uses them (%s removes them last)", other, oc.Cmd("down --purge"))
			return nil
		}
	}
	imgs, err := l.Engine.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("label", labelBinary))})
	if err != nil {
		return EngineError(err)
	}
	if len(imgs) == 0 {
		return nil
	}
	// The lab images first, then the base images they are made from.
	isBase := func(i int) bool { return imgs[i].Labels[labelTitle] == "" }
	sort.SliceStable(imgs, func(i, j int) bool { return !isBase(i) && isBase(j) })
	l.Status.Start("Removing the images swarmlab built on the engine")
	removed, kept := 0, 0
	for _, img := range imgs {
		refs := append([]string{}, img.RepoTags...)
		if len(refs) == 0 || slices.Contains(refs, "<none>:<none>") {
			refs = []string{img.ID}
		}
		ok := true
		for _, ref := range refs {
			l.Status.Progress(ref)
			if _, err := l.Engine.ImageRemove(ctx, ref, image.RemoveOptions{PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
				l.Log.Info("image kept", "ref", ref, "err", err)
				ok = false
			}
		}
		if ok {
			removed++
		} else {
			kept++
		}
	}
	l.Status.End(true)
	if kept > 0 {
		l.Status.Infof("removed %d images; kept %d that containers still use", removed, kept)
	}
	return nil
}

// ensureImage makes sure ref is on the engine, pulling it if needed.
func (l *Lab) ensureImage(ctx context.Context, ref string) error {
	if _, err := l.Engine.ImageInspect(ctx, ref); err == nil {
		return nil
	} else if !cerrdefs.IsNotFound(err) {
		return EngineError(err)
	}
	l.Status.Progress("pulling " + ref)
	rc, err := l.Engine.ImagePull(ctx, ref, image.PullOptions{})
	if err == nil {
		err = drain(rc)
		rc.Close()
	}
	return err
}

// NodeImage returns the image the nodes run: the configured one when it is
// on the engine (pulled first when pull is set), else, for the default
// image only, LocalNodeImage when 'swarmlab build node-image' made it, with
// no pull tried when it is there already. note says why the fallback was
// taken after a pull failed, "" otherwise.
func (l *Lab) NodeImage(ctx context.Context, pull bool) (img, note string, err error) {
	want := l.Config.NodeImage
	if want == Defaults().NodeImage && pull {
		// An engine that has swarmlab's own node image and not the default
		// one is offline, or was given it (build node-image, a class
		// server): a pull would only wait on the network to fail.
		_, werr := l.Engine.ImageInspect(ctx, want)
		if _, lerr := l.Engine.ImageInspect(ctx, LocalNodeImage); werr != nil && lerr == nil {
			return LocalNodeImage, "", nil
		}
	}
	if pull {
		err = l.ensureImage(ctx, want)
	} else {
		_, err = l.Engine.ImageInspect(ctx, want)
	}
	if err == nil {
		return want, "", nil
	}
	if want == Defaults().NodeImage {
		if _, lerr := l.Engine.ImageInspect(ctx, LocalNodeImage); lerr == nil {
			return LocalNodeImage, fmt.Sprintf("%s cannot be pulled (%s); using %s, built by %s", want, firstLine(err), LocalNodeImage, l.Config.Cmd("build node-image")), nil
		}
		// up builds LocalNodeImage where it can; others say how.
		return "", "", &NoNodeImageError{image: want, reason: firstLine(err)}
	}
	return "", "", cli.WithHint(fmt.Errorf("node image %s is not on the engine and cannot be pulled: %s", want, firstLine(err)), "build one offline with "+l.Config.Cmd("build node-image")+", then run "+l.Config.Cmd("up --node-image "+LocalNodeImage))
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
