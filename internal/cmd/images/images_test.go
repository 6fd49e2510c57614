package images

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/cmdtest"
	"github.com/swarmlab/swarmlab/internal/docker/fakedocker"
)

// images reads the registry on the port the lab's registry container
// publishes, not the config's default.
func TestImagesReadsTheRegistryTheLabPublishes(t *testing.T) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"repositories":[]}`))
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	e := fakedocker.New()
	cmdtest.AddLab(e, "lab2", 1, container.StateRunning, cmdtest.Ports{Registry: port})
	r := cmdtest.Run(e, NewCommand, "--name", "lab2", "images")
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	if len(asked) == 0 || asked[0] != "/v2/_catalog" || !strings.Contains(r.Out, "Total in the registry, shared layers counted once: 0.0 MB") {
		t.Fatalf("asked %v:\n%s", asked, r.Out)
	}

	srv.Close()
	r = cmdtest.Run(e, NewCommand, "--name", "lab2", "images")
	if r.Error == nil || !strings.Contains(r.Error.Error(), srv.URL) || !strings.Contains(cli.HintOf(r.Error), "'swarmlab --name lab2 status'") {
		t.Fatalf("err = %v, hint %q", r.Error, cli.HintOf(r.Error))
	}
}
