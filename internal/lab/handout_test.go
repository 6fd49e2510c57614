package lab

import (
	"slices"
	"strings"
	"testing"
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
