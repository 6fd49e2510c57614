package lab

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/elfstrip"
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

// importEngine records BuildImages' imports; images in have answer inspect
// with their labels.
type importEngine struct {
	docker.Engine
	mu      sync.Mutex
	have    map[string]map[string]string
	changes map[string][]string // by tag
	files   map[string]string   // by tag: the layer's one file, "name mode size"
}

func (e *importEngine) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	if l, ok := e.have[ref]; ok {
		return image.InspectResponse{Config: &dockerspec.DockerOCIImageConfig{ImageConfig: ocispec.ImageConfig{Labels: l}}}, nil
	}
	return image.InspectResponse{}, errdefs.NotFound(errors.New("no such image"))
}

func (e *importEngine) ImageImport(_ context.Context, src image.ImportSource, ref string, o image.ImportOptions) (io.ReadCloser, error) {
	tr := tar.NewReader(src.Source)
	var files []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		files = append(files, fmt.Sprintf("%s %o %d", h.Name, h.Mode, h.Size))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.changes[ref] = o.Changes
	e.files[ref] = strings.Join(files, ",")
	return io.NopCloser(strings.NewReader(`{"status":"sha256:1"}`)), nil
}

// BuildImages imports each image as the stripped binary alone with its
// entrypoint and labels, and leaves alone those made from the same binary.
func TestBuildImagesImports(t *testing.T) {
	exe, err := os.Executable()
	if err != nil || runtime.GOOS != "linux" {
		t.Skip("needs a Linux executable to strip")
	}
	e := &importEngine{
		have:    map[string]map[string]string{"haproxy:latest": {labelBinary: "sum1"}, "visualizer:latest": {labelBinary: "old"}},
		changes: map[string][]string{}, files: map[string]string{},
	}
	l := &Lab{Engine: e, Status: cli.NewStatus(io.Discard, true)}
	if err := l.BuildImages(context.Background(), exe, "sum1", AppImages); err != nil {
		t.Fatal(err)
	}
	want := []string{"swarmlab/base:sum1", "swtest/api:latest", "swtest/nginx:latest", "visualizer:latest"}
	got := slices.Sorted(maps.Keys(e.changes))
	if !slices.Equal(got, want) {
		t.Fatalf("imported %v, want %v (haproxy is made from this binary already)", got, want)
	}
	if c := strings.Join(e.changes["swtest/nginx:latest"], "\n"); !strings.Contains(c, `ENTRYPOINT ["/swarmlab", "proxy"]`) ||
		!strings.Contains(c, "EXPOSE 80") || !strings.Contains(c, labelBinary+"=sum1") || !strings.Contains(c, labelTitle+`="swtest/nginx"`) {
		t.Errorf("swtest/nginx changes:\n%s", c)
	}
	if c := e.changes["swarmlab/base:sum1"]; !slices.Equal(c, []string{"LABEL " + labelBinary + "=sum1"}) {
		t.Errorf("base changes: %q", c)
	}
	raw, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	stripped, err := elfstrip.Strip(raw)
	if err != nil {
		t.Fatal(err)
	}
	for tag, f := range e.files {
		if want := fmt.Sprintf("swarmlab 755 %d", len(stripped)); f != want {
			t.Errorf("%s: layer %q, want the one stripped file %q", tag, f, want)
		}
		if f != e.files["swarmlab/base:sum1"] {
			t.Errorf("%s: layer %q differs from the base's %q: the images would not share it", tag, f, e.files["swarmlab/base:sum1"])
		}
	}
}
