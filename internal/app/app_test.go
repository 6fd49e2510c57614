package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd"
)

// run drives the whole CLI as a user would, with no Docker engine behind
// DOCKER_HOST, so every case here is about what the user is told.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))
	var out, errOut bytes.Buffer
	err := Run(cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}, args, cmd.NewRoot)
	return out.String() + errOut.String(), err
}

func TestErrorsSayWhatToDo(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("workers: [\n"), 0o644)
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("wokers: 2\n"), 0o644)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"negative workers", []string{"up", "--workers", "-1"}, []string{"Error: workers -1: must be between 0 and 20", "Try:   fix the flags"}},
		{"too many workers", []string{"up", "--workers", "500"}, []string{"workers 500"}},
		{"two problems at once", []string{"up", "--workers", "500", "--managers", "0"}, []string{"workers 500", "managers 0"}},
		{"port clash", []string{"up", "--visualizer-port", "8000"}, []string{"already used for ingress"}},
		{"malformed config", []string{"--config", bad, "up"}, []string{"Error: config " + bad, "Try:   fix the config file"}},
		{"unknown key", []string{"--config", typo, "up"}, []string{"unknown key wokers"}},
		{"missing config", []string{"--config", filepath.Join(dir, "none.yaml"), "status"}, []string{"no such file"}},
		{"no engine", []string{"up"}, []string{"cannot reach the Docker engine", "Try:   start Docker"}},
		{"no engine for status", []string{"status"}, []string{"cannot reach the Docker engine"}},
		{"bad subcommand", []string{"upp"}, []string{`unknown command "upp"`}},
		{"shell needs a node", []string{"shell"}, []string{"accepts 1 arg"}},
		{"hands-on has one manager", []string{"up", "--hands-on", "--managers", "3"}, []string{"--hands-on follows the handout, which has one manager", "Try:"}},
		{"hands-on is not bare", []string{"up", "--hands-on", "--bare"}, []string{"cannot be combined"}},
		{"tutorial without an engine", []string{"tutorial"}, []string{"cannot reach the Docker engine", "Try:   start Docker"}},
		{"tutorial in another language", []string{"tutorial", "--lang", "fr"}, []string{`language "fr": use en or ja`}},
		{"goto needs a step", []string{"tutorial", "goto"}, []string{"accepts 1 arg"}},
		{"goto a step that does not exist", []string{"tutorial", "goto", "stack-deploi"}, []string{`no step "stack-deploi"`, "stack-deploy", "Try:"}},
		{"goto a step past the last", []string{"tutorial", "goto", "99"}, []string{`no step "99": give a number from 1 to 22`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, tt.args...)
			if err == nil {
				t.Fatalf("want an error, got none:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "goroutine ") || strings.Contains(out, "panic") {
				t.Errorf("a stack trace reached the user:\n%s", out)
			}
		})
	}
}

func TestHelpListsTheTutorialCommands(t *testing.T) {
	out, err := run(t, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"up", "down", "status", "stop", "start", "shell", "docker", "node", "doctor", "verify", "chaos", "images", "build", "registry", "api", "proxy", "ingress", "visualizer"} {
		if !strings.Contains(out, "\n  "+cmd+" ") {
			t.Errorf("help lacks %q", cmd)
		}
	}
}

func TestDoctorWithoutEngineFails(t *testing.T) {
	out, err := run(t, "doctor")
	if err == nil || !strings.Contains(out, "✗ Docker engine: not reachable") {
		t.Fatalf("err = %v\n%s", err, out)
	}
}
