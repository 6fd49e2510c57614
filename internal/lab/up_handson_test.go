package lab

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"

	"github.com/swarmlab/swarmlab/internal/cli"
)

func (f *fakeEngine) ImageList(context.Context, image.ListOptions) ([]image.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []image.Summary
	for ref := range f.images {
		out = append(out, image.Summary{RepoTags: []string{ref}})
	}
	return out, nil
}

func (f *fakeEngine) ImageRemove(_ context.Context, ref string, _ image.RemoveOptions) ([]image.DeleteResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.images, ref)
	return []image.DeleteResponse{{Untagged: ref}}, nil
}

// TestHandoutImagesAreTheAppImages: the learner pushes the images up
// builds, under the names the stack files pull.
func TestHandoutImagesAreTheAppImages(t *testing.T) {
	var repos, handout []string
	for _, img := range AppImages {
		repos = append(repos, img.Repo)
	}
	for _, img := range HandoutImages {
		handout = append(handout, img.Repo)
		if img.Host != img.Repo && (!strings.HasPrefix(img.Host, "swarmlab/") || img.Handout == "") {
			t.Errorf("%s: a renamed image carries swarmlab's name and says which handout image it stands for", img.Host)
		}
	}
	slices.Sort(repos)
	slices.Sort(handout)
	if !slices.Equal(repos, handout) {
		t.Fatalf("handout images %v, app images %v", handout, repos)
	}
}

func TestUpHandsOnRefuses(t *testing.T) {
	l, _ := testLab(t, newFake())
	l.Config.Managers = 3
	if err := l.UpHandsOn(context.Background(), UpOptions{}); err == nil || !strings.Contains(err.Error(), "one manager") || cli.HintOf(err) == "" {
		t.Fatalf("err = %v", err)
	}
	l.Config.Managers = 1
	if err := l.UpHandsOn(context.Background(), UpOptions{Bare: true}); err == nil || !strings.Contains(err.Error(), "cannot be combined") {
		t.Fatalf("err = %v", err)
	}
}

// TestClearHandsOn: a new hands-on lab starts without the registry's old
// images and the host tags an earlier run left, so no step is done early.
func TestClearHandsOn(t *testing.T) {
	fake := newFake()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	l, out := testLab(t, fake)
	fake.volumes[l.Config.RegistryVolume()] = map[string]string{LabelLab: l.Config.Name}
	refs := l.Config.HostRegistryRefs("swtest/api")
	mistyped := fmt.Sprintf("localhost:%d/api:v1", l.Config.Ports.Registry)
	fake.images[refs[0]], fake.images[refs[1]], fake.images[mistyped], fake.images["swtest/api:latest"] = true, true, true, true
	inv, err := l.Inventory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.clearHandsOn(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	if len(fake.volumes) != 0 || fake.images[refs[0]] || fake.images[refs[1]] || fake.images[mistyped] || !fake.images["swtest/api:latest"] {
		t.Fatalf("volumes %v, images %v", fake.volumes, fake.images)
	}
	if !strings.Contains(out.String(), "✓ Clearing what an earlier hands-on run left") {
		t.Fatalf("output:\n%s", out)
	}
}
