package labflags

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestTakeLeavesTheRestToDocker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args            []string
		name, config    string
		rest            string
		nameGivenInArgs bool
	}{
		{[]string{"node", "ls"}, "swarmlab", "", "node ls", false},
		{[]string{"--name", "e2e", "node", "ls"}, "e2e", "", "node ls", true},
		{[]string{"--config=lab.yaml", "--name=x", "ps", "--name", "y"}, "x", "lab.yaml", "ps --name y", true},
		{[]string{"--name"}, "swarmlab", "", "--name", false},
	}
	for _, tt := range tests {
		shared := Flags{Name: "swarmlab"}
		got, rest := shared.Take(tt.args)
		if got.Name != tt.name || got.Config != tt.config || strings.Join(rest, " ") != tt.rest || got.nameGiven != tt.nameGivenInArgs {
			t.Errorf("Take(%q) = %+v, %q", tt.args, got, rest)
		}
		if shared.Name != "swarmlab" {
			t.Errorf("Take changed the shared flags: %+v", shared)
		}
	}
}

func TestLabConfigNameOverConfigFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "lab.yaml")
	if err := os.WriteFile(file, []byte("name: fromfile\nworkers: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := &cobra.Command{}
	(&Flags{}).Register(cmd)
	f := Flags{Name: "swarmlab", Config: file}
	if cfg, err := f.LabConfig(cmd, nil); err != nil || cfg.Name != "fromfile" || cfg.Workers != 2 {
		t.Fatalf("config file alone: %+v, %v", cfg, err)
	}
	f, _ = f.Take([]string{"--name", "given"})
	if cfg, err := f.LabConfig(cmd, nil); err != nil || cfg.Name != "given" || cfg.Workers != 2 {
		t.Fatalf("--name over the file: %+v, %v", cfg, err)
	}
}
