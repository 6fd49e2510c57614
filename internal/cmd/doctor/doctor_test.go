package doctor

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/cmdtest"
	"github.com/swarmlab/swarmlab/internal/docker/fakedocker"
)

// doctor fails on a host port something else holds, and says how to pick
// another for this lab.
func TestDoctorNamesATakenPort(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := held.Addr().(*net.TCPAddr).Port
	file := filepath.Join(t.TempDir(), "lab.yaml")
	conf := fmt.Sprintf("name: lab2\nports:\n  registry: %d\n  ingress: 0\n  visualizer: 0\n  stats: 0\n", port)
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	r := cmdtest.Run(fakedocker.New(), NewCommand, "--config", file, "doctor")
	var exit *cli.ExitError
	if !errors.As(r.Error, &exit) || exit.Code != 1 {
		t.Fatalf("err = %v:\n%s", r.Error, r.Out)
	}
	for _, want := range []string{"Docker engine: Docker fake", "Node image: docker:dind is not on the engine yet",
		fmt.Sprintf("Port %d (registry): in use on 127.0.0.1", port), "'swarmlab --name lab2 up --registry-port N'"} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.Out)
		}
	}
}
