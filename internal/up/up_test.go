package up

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/docker/fakedocker"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/nodeimage"
)

// fakeEngine is the shared fake host engine, under the name these tests
// grew up with.
type fakeEngine = fakedocker.Engine

func newFake() *fakeEngine { return fakedocker.New() }

// testLab returns a lab on fake with a free registry port, which the fake
// serves once the registry container starts, as a real engine would.
func testLab(t *testing.T, fake *fakeEngine) (*lab.Lab, *bytes.Buffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	// The registry container "publishes" the port once it starts.
	var servers []*http.Server
	fake.OnStart = func(c container.Summary) error {
		if c.Labels[lab.LabelRole] != lab.RoleRegistry {
			return nil
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
		servers = append(servers, srv)
		go srv.Serve(ln)
		return nil
	}
	t.Cleanup(func() {
		for _, s := range servers {
			s.Close()
		}
	})
	cfg := lab.Defaults()
	cfg.Name = "unit"
	cfg.Ports = lab.Ports{Registry: port}
	cfg.StackDir = t.TempDir()
	var out bytes.Buffer
	l := lab.New(cfg, fake, cli.NewStatus(&out, false), slog.New(slog.NewTextHandler(io.Discard, nil)))
	l.FindBinary = func(string, string, string) (string, string, error) { return "/dev/null", "sum", nil }
	return l, &out
}

func TestUpFailureRemovesWhatItCreated(t *testing.T) {
	fake := newFake()
	fake.Images[lab.LocalNodeImage] = true
	fake.FailCreate = "unit-worker02"
	l, out := testLab(t, fake)
	_, err := Run(context.Background(), l, Options{Bare: true})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"building swarmlab images: " + lab.LocalNodeImage, "refuses --privileged", "✗ Starting the registry and the nodes", "Removing what this run created"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// swarmlab's own node image is there: no pull of the default is tried.
	if strings.Contains(out.String(), "pulling "+lab.Defaults().NodeImage) {
		t.Errorf("up tried to pull %s with %s on the engine:\n%s", lab.Defaults().NodeImage, lab.LocalNodeImage, out)
	}
	if len(fake.Containers) != 0 || len(fake.Networks) != 0 {
		t.Errorf("left behind: %v %v", fake.Containers, fake.Networks)
	}
	if len(fake.Volumes) != 1 || fake.Volumes[l.Config.RegistryVolume()] == nil {
		t.Errorf("volumes = %v, want only the registry data", fake.Volumes)
	}
}

func TestUpFailureRetain(t *testing.T) {
	fake := newFake()
	fake.Images[lab.LocalNodeImage] = true
	fake.FailCreate = "unit-worker02"
	l, _ := testLab(t, fake)
	if _, err := Run(context.Background(), l, Options{Bare: true, Retain: true}); err == nil {
		t.Fatal("want an error")
	}
	if len(fake.Networks) != 1 || len(fake.Containers) < 4 {
		t.Fatalf("--retain should keep what was made: %d containers, %d networks", len(fake.Containers), len(fake.Networks))
	}
}

// Without docker:dind nor the local node image, up builds the local one
// where it can and says exactly what to run where it cannot.
func TestUpWithoutNodeImage(t *testing.T) {
	linux := nodeimage.Host{OS: "linux", Arch: "amd64", EngineArch: "amd64", Root: true, Debootstrap: true, Command: "./swarmlab"}
	notRoot, mac := linux, linux
	notRoot.Root = false
	mac.OS = "darwin"
	tests := []struct {
		name      string
		host      nodeimage.Host
		wantHint  string // "" when up builds the image and carries on
		wantBuilt bool
	}{
		{"root with debootstrap", linux, "", true},
		{"not root", notRoot, "sudo ./swarmlab build node-image", false},
		{"not Linux", mac, "docker pull docker:dind", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake()
			fake.FailCreate = "unit-manager" // stop right after the node image
			l, out := testLab(t, fake)
			l.NodeHost = func(string) nodeimage.Host { return tt.host }
			built := false
			l.NodeBuild = func(_ context.Context, e docker.Engine, o nodeimage.Options, progress func(string)) error {
				progress("Retrieving packages")
				built = true
				fake.Images[lab.LocalNodeImage] = true
				return nil
			}
			_, err := Run(context.Background(), l, Options{Bare: true})
			if built != tt.wantBuilt {
				t.Fatalf("built = %v, want %v:\n%s", built, tt.wantBuilt, out)
			}
			if tt.wantHint == "" {
				for _, want := range []string{"building it from Debian packages", "✓ Preparing the node image", "✗ Starting the registry and the nodes"} {
					if !strings.Contains(out.String(), want) {
						t.Errorf("output lacks %q:\n%s", want, out)
					}
				}
				return
			}
			if err == nil || !strings.Contains(cli.HintOf(err), tt.wantHint) {
				t.Fatalf("err = %v, hint = %q, want %q", err, cli.HintOf(err), tt.wantHint)
			}
		})
	}
}

func TestUpRefusesBadConfig(t *testing.T) {
	fake := newFake()
	l, _ := testLab(t, fake)
	l.Config.Workers = -1
	if _, err := Run(context.Background(), l, Options{}); err == nil || !strings.Contains(err.Error(), "workers -1") {
		t.Fatalf("err = %v", err)
	}
	if len(fake.Containers)+len(fake.Networks) != 0 {
		t.Fatal("a bad config must create nothing")
	}
}
