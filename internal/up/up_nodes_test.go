package up

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/lab"
)

func TestNodeSpecInit(t *testing.T) {
	l, _ := testLab(t, newFake())
	for _, init := range []bool{true, false} {
		u := &upContext{lab: l, engine: l.Engine, status: l.Status, init: init, nodeImage: lab.LocalNodeImage, stackDir: t.TempDir()}
		for _, n := range l.Config.Nodes() {
			_, hc := u.nodeSpec(n)
			if got := hc.Init != nil && *hc.Init; got != init {
				t.Errorf("init %v: %s runs with Init %v", init, n.Name, hc.Init)
			}
		}
	}
}

// TestCheckPortsMovesTakenDefaults: a default port held by something else
// (another lab) is replaced by a free one, and up says so; a port the user
// chose, or one a container of the lab already publishes, is not moved.
func TestCheckPortsMovesTakenDefaults(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := held.Addr().(*net.TCPAddr).Port
	fake := newFake()
	l, out := testLab(t, fake)
	l.Config.Ports = lab.Ports{Registry: port}
	u := &upContext{lab: l, engine: fake, status: l.Status, ep: l.Config.Endpoints(), movable: lab.Ports{Registry: port}}
	if err := u.checkPorts(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := u.ep.Ports.Registry; got <= port || got > port+200 {
		t.Fatalf("registry port %d, want one just above %d", got, port)
	}
	if l.Config.Ports.Registry != port {
		t.Fatalf("checkPorts wrote over the config: %+v", l.Config.Ports)
	}
	if want := fmt.Sprintf("port %d for the registry is in use: this lab publishes it on %d instead", port, u.ep.Ports.Registry); !strings.Contains(out.String(), want) {
		t.Fatalf("output lacks %q:\n%s", want, out)
	}

	u = &upContext{lab: l, engine: fake, status: l.Status, ep: l.Config.Endpoints()} // the user chose the port
	if err := u.checkPorts(context.Background()); err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(cli.HintOf(err), "--registry-port") {
		t.Fatalf("a chosen port that is taken: err = %v", err)
	}
}
