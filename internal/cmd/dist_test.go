package cmd

import (
	"os/exec"
	"strings"
	"testing"
)

// A release's CLI (the dist tag) leaves the servers and their dependencies
// out: it embeds swarmlab-server instead. A lab command that imports a
// server package, even for one type, would bring that server back in.
func TestDistCLICarriesNoServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	const mod = "github.com/swarmlab/swarmlab/"
	out, err := exec.Command("go", "list", "-e", "-deps", "-tags", "dist", "-f", "{{.ImportPath}}", mod+"cmd/swarmlab").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list listed too little: %v", deps)
	}
	for _, dep := range deps {
		for _, server := range []string{"internal/api", "internal/proxy", "internal/ingress", "internal/visualizer", "internal/registry", "internal/edge"} {
			if dep == mod+server {
				t.Errorf("the release CLI imports the server %s", server)
			}
		}
		if strings.HasPrefix(dep, "github.com/distribution/distribution") {
			t.Errorf("the release CLI imports the registry's %s", dep)
		}
	}
}
