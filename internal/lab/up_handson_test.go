package lab

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
)

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
	if _, err := l.Up(context.Background(), UpOptions{HandsOn: true}); err == nil || !strings.Contains(err.Error(), "one manager") || cli.HintOf(err) == "" {
		t.Fatalf("err = %v", err)
	}
	l.Config.Managers = 1
	if _, err := l.Up(context.Background(), UpOptions{HandsOn: true, Bare: true}); err == nil || !strings.Contains(err.Error(), "cannot be combined") {
		t.Fatalf("err = %v", err)
	}
}

// TestClearHandsOn: a new hands-on lab starts without the registry's old
// images and the host tags an earlier run left, so no step is done early.
func TestClearHandsOn(t *testing.T) {
	fake := newFake()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	l, out := testLab(t, fake)
	fake.Volumes[l.Config.RegistryVolume()] = map[string]string{LabelLab: l.Config.Name}
	refs := l.Config.HostRegistryRefs("swtest/api")
	mistyped := fmt.Sprintf("localhost:%d/api:v1", l.Config.Ports.Registry)
	fake.Images[refs[0]], fake.Images[refs[1]], fake.Images[mistyped], fake.Images["swtest/api:latest"] = true, true, true, true
	inv, err := l.Inventory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.clearHandsOn(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	if len(fake.Volumes) != 0 || fake.Images[refs[0]] || fake.Images[refs[1]] || fake.Images[mistyped] || !fake.Images["swtest/api:latest"] {
		t.Fatalf("volumes %v, images %v", fake.Volumes, fake.Images)
	}
	if !strings.Contains(out.String(), "✓ Clearing what an earlier hands-on run left") {
		t.Fatalf("output:\n%s", out)
	}
}
