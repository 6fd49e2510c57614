package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

// The lab's images carry swarmlab-server. What it links is what every
// learner's registry stores and every node pulls, so the CLI's packages
// (and what they bring) must stay out of it.
func TestServerLinksNoCLI(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/swarmlab/swarmlab/cmd/swarmlab-server").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list gave %d packages: %q", len(deps), out)
	}
	forbidden := []string{
		"github.com/swarmlab/swarmlab/internal/cmd", // the CLI's root
		"github.com/swarmlab/swarmlab/internal/lab",
		"github.com/swarmlab/swarmlab/internal/class",
		"github.com/swarmlab/swarmlab/internal/tutorial",
		"github.com/swarmlab/swarmlab/internal/window",
		"modernc.org/sqlite",
		"github.com/compose-spec/compose-go/v2/loader",
		"github.com/coder/websocket",
		"github.com/spf13/cobra/doc",
		// distribution's HTTP handlers and drivers bring these; the
		// registry serves the API itself over registry/storage.
		"github.com/distribution/distribution/v3/registry/handlers",
		"github.com/redis/go-redis/v9",
		"google.golang.org/grpc",
		"go.opentelemetry.io/otel/sdk",
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f {
				t.Errorf("swarmlab-server links %s", d)
			}
		}
	}
}
