package up

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/lab"
)

func TestUpHandsOnRefuses(t *testing.T) {
	l, _ := testLab(t, newFake())
	l.Config.Managers = 3
	if _, err := Run(context.Background(), l, Options{HandsOn: true}); err == nil || !strings.Contains(err.Error(), "one manager") || cli.HintOf(err) == "" {
		t.Fatalf("err = %v", err)
	}
	l.Config.Managers = 1
	if _, err := Run(context.Background(), l, Options{HandsOn: true, Bare: true}); err == nil || !strings.Contains(err.Error(), "cannot be combined") {
		t.Fatalf("err = %v", err)
	}
}

// TestClearHandsOn: a new hands-on lab starts without the registry's old
// images and the host tags an earlier run left, so no step is done early.
func TestClearHandsOn(t *testing.T) {
	fake := newFake()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	l, out := testLab(t, fake)
	fake.Volumes[l.Config.RegistryVolume()] = map[string]string{lab.LabelLab: l.Config.Name}
	refs := l.Config.HostRegistryRefs("swtest/api")
	mistyped := fmt.Sprintf("localhost:%d/api:v1", l.Config.Ports.Registry)
	fake.Images[refs[0]], fake.Images[refs[1]], fake.Images[mistyped], fake.Images["swtest/api:latest"] = true, true, true, true
	inv, err := l.Inventory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := clearHandsOn(context.Background(), l, inv); err != nil {
		t.Fatal(err)
	}
	if len(fake.Volumes) != 0 || fake.Images[refs[0]] || fake.Images[refs[1]] || fake.Images[mistyped] || !fake.Images["swtest/api:latest"] {
		t.Fatalf("volumes %v, images %v", fake.Volumes, fake.Images)
	}
	if !strings.Contains(out.String(), "✓ Clearing what an earlier hands-on run left") {
		t.Fatalf("output:\n%s", out)
	}
}
