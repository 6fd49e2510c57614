package lab

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
)

// purgeEngine holds images and containers for RemoveBuiltImages; it honours
// key-only label filters, as the engine does.
type purgeEngine struct {
	docker.Engine
	containers []container.Summary
	images     []image.Summary
	inUse      string // a ref whose removal the engine refuses
	removed    []string
}

func hasLabels(labels map[string]string, args interface{ Get(string) []string }) bool {
	for _, l := range args.Get("label") {
		k, v, withValue := strings.Cut(l, "=")
		if got, ok := labels[k]; !ok || (withValue && got != v) {
			return false
		}
	}
	return true
}

func (p *purgeEngine) ContainerList(_ context.Context, o container.ListOptions) (out []container.Summary, _ error) {
	for _, c := range p.containers {
		if hasLabels(c.Labels, o.Filters) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (p *purgeEngine) ImageList(_ context.Context, o image.ListOptions) (out []image.Summary, _ error) {
	for _, i := range p.images {
		if hasLabels(i.Labels, o.Filters) {
			out = append(out, i)
		}
	}
	return out, nil
}

func (p *purgeEngine) ImageRemove(_ context.Context, ref string, _ image.RemoveOptions) ([]image.DeleteResponse, error) {
	if ref == p.inUse {
		return nil, errors.New("conflict: unable to remove repository reference (must force) - container is using its referenced image")
	}
	p.removed = append(p.removed, ref)
	return nil, nil
}

func TestRemoveBuiltImages(t *testing.T) {
	base := map[string]string{labelBinary: "aaa"}
	app := map[string]string{labelBinary: "aaa", labelTitle: "swtest/api"}
	oldApp := map[string]string{labelBinary: "old", labelTitle: "swtest/api"}
	images := []image.Summary{
		{ID: "sha256:base", RepoTags: []string{"swarmlab/base:aaa"}, Labels: base},
		{ID: "sha256:api", RepoTags: []string{"swtest/api:latest", "127.0.0.1:5000/swtest/api:latest"}, Labels: app},
		{ID: "sha256:dangling", RepoTags: []string{"<none>:<none>"}, Labels: oldApp},
		{ID: "sha256:node", RepoTags: []string{"swarmlab/node:latest"}},                 // not built from the binary
		{ID: "sha256:user", RepoTags: []string{"myapp:1"}, Labels: map[string]string{}}, // the user's own
	}
	newLab := func(e *purgeEngine) (*Lab, *bytes.Buffer) {
		var out bytes.Buffer
		return New(Defaults(), e, cli.NewStatus(&out, false), slog.New(slog.NewTextHandler(io.Discard, nil))), &out
	}

	t.Run("another lab uses them", func(t *testing.T) {
		e := &purgeEngine{images: images, containers: []container.Summary{{Labels: map[string]string{LabelLab: "lab2"}}}}
		l, out := newLab(e)
		if err := l.RemoveBuiltImages(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(e.removed) != 0 || !strings.Contains(out.String(), `lab "lab2" uses them`) {
			t.Errorf("removed %v; said %q", e.removed, out)
		}
	})

	t.Run("the last lab", func(t *testing.T) {
		e := &purgeEngine{images: images, inUse: "127.0.0.1:5000/swtest/api:latest",
			containers: []container.Summary{{Labels: map[string]string{"other": "x"}}}}
		l, out := newLab(e)
		if err := l.RemoveBuiltImages(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := []string{"swtest/api:latest", "sha256:dangling", "swarmlab/base:aaa"}
		if !slices.Equal(e.removed, want) {
			t.Errorf("removed %v, want %v (lab images before the base, dangling ones by ID, nothing else)", e.removed, want)
		}
		if !strings.Contains(out.String(), "removed 2 images; kept 1 that containers still use") {
			t.Errorf("said %q", out)
		}
	})
}
