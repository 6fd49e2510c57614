package lab

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/nodeimage"
)

// fakeEngine keeps containers, networks and volumes in maps. Calls that Up
// should not make panic through the nil embedded interface.
type fakeEngine struct {
	docker.Engine
	mu         sync.Mutex
	containers map[string]container.Summary
	networks   map[string]network.Summary
	volumes    map[string]map[string]string
	images     map[string]bool
	failCreate string // container name whose creation fails
	privileged bool   // whether privileged containers may start
	regPort    int    // the registry container "publishes" this host port
	servers    []*http.Server
}

func newFake() *fakeEngine {
	return &fakeEngine{containers: map[string]container.Summary{}, networks: map[string]network.Summary{}, volumes: map[string]map[string]string{}, images: map[string]bool{}}
}

func (f *fakeEngine) Info(context.Context) (system.Info, error) {
	return system.Info{ServerVersion: "fake", OSType: "linux", Architecture: "x86_64"}, nil
}
func (f *fakeEngine) Close() error { return nil }

func matches(labels map[string]string, args interface{ Get(string) []string }) bool {
	for _, l := range args.Get("label") {
		k, v, _ := strings.Cut(l, "=")
		if labels[k] != v {
			return false
		}
	}
	return true
}

func (f *fakeEngine) ContainerList(_ context.Context, o container.ListOptions) ([]container.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []container.Summary
	for _, c := range f.containers {
		if matches(c.Labels, o.Filters) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeEngine) ContainerCreate(_ context.Context, cfg *container.Config, hc *container.HostConfig, _ *network.NetworkingConfig, _ *ocispec.Platform, name string) (container.CreateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name != "" && name == f.failCreate {
		return container.CreateResponse{}, errors.New("boom")
	}
	id := "id-" + strconv.Itoa(len(f.containers)) + "-" + name
	f.containers[id] = container.Summary{ID: id, Names: []string{"/" + name}, Labels: cfg.Labels, State: "created", HostConfig: struct {
		NetworkMode string            `json:",omitempty"`
		Annotations map[string]string `json:",omitempty"`
	}{NetworkMode: map[bool]string{true: "privileged"}[hc.Privileged]}}
	return container.CreateResponse{ID: id}, nil
}

func (f *fakeEngine) ContainerStart(_ context.Context, id string, _ container.StartOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.containers[id]
	if c.HostConfig.NetworkMode == "privileged" && !f.privileged {
		return errors.New("unable to apply caps: operation not permitted")
	}
	c.State = container.StateRunning
	f.containers[id] = c
	if c.Labels[LabelRole] == RoleRegistry {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(f.regPort))
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
		f.servers = append(f.servers, srv)
		go srv.Serve(ln)
	}
	return nil
}

func (f *fakeEngine) ContainerRemove(_ context.Context, id string, _ container.RemoveOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.containers, id)
	return nil
}

func (f *fakeEngine) NetworkList(_ context.Context, o network.ListOptions) ([]network.Summary, error) {
	var out []network.Summary
	for _, n := range f.networks {
		if matches(n.Labels, o.Filters) {
			out = append(out, n)
		}
	}
	return out, nil
}

func (f *fakeEngine) NetworkCreate(_ context.Context, name string, o network.CreateOptions) (network.CreateResponse, error) {
	f.networks[name] = network.Summary{ID: "net-" + name, Name: name, Labels: o.Labels, IPAM: *o.IPAM}
	return network.CreateResponse{ID: "net-" + name}, nil
}

func (f *fakeEngine) NetworkRemove(_ context.Context, id string) error {
	delete(f.networks, strings.TrimPrefix(id, "net-"))
	return nil
}

func (f *fakeEngine) VolumeList(_ context.Context, o volume.ListOptions) (volume.ListResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out volume.ListResponse
	for name, labels := range f.volumes {
		if matches(labels, o.Filters) {
			out.Volumes = append(out.Volumes, &volume.Volume{Name: name, Labels: labels})
		}
	}
	return out, nil
}

func (f *fakeEngine) VolumeCreate(_ context.Context, o volume.CreateOptions) (volume.Volume, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.volumes[o.Name] = o.Labels
	return volume.Volume{Name: o.Name}, nil
}

func (f *fakeEngine) VolumeRemove(_ context.Context, name string, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.volumes, name)
	return nil
}

func (f *fakeEngine) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	if f.images[ref] {
		return image.InspectResponse{}, nil
	}
	return image.InspectResponse{}, errdefs.NotFound(errors.New("no such image"))
}

func (f *fakeEngine) ImagePull(context.Context, string, image.PullOptions) (io.ReadCloser, error) {
	return nil, errors.New("pull refused: no registry reachable")
}

func (f *fakeEngine) ImageBuild(_ context.Context, _ io.Reader, o build.ImageBuildOptions) (build.ImageBuildResponse, error) {
	f.images[o.Tags[0]] = true
	return build.ImageBuildResponse{Body: io.NopCloser(bytes.NewReader(nil))}, nil
}

// testLab returns a lab on fake with a free registry port, which the fake
// serves once the registry container starts, as a real engine would.
func testLab(t *testing.T, fake *fakeEngine) (*Lab, *bytes.Buffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	fake.regPort = port
	t.Cleanup(func() {
		for _, s := range fake.servers {
			s.Close()
		}
	})
	cfg := Defaults()
	cfg.Name = "unit"
	cfg.Ports = Ports{Registry: port}
	cfg.StackDir = t.TempDir()
	var out bytes.Buffer
	l := New(cfg, fake, cli.NewStatus(&out, false), slog.New(slog.NewTextHandler(io.Discard, nil)))
	l.FindBinary = func(string, string, string) (string, string, error) { return "/dev/null", "sum", nil }
	return l, &out
}

func TestUpFailureRemovesWhatItCreated(t *testing.T) {
	fake := newFake()
	fake.images[LocalNodeImage] = true
	fake.failCreate = "unit-worker02"
	l, out := testLab(t, fake)
	err := l.Up(context.Background(), UpOptions{Bare: true})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"cannot be pulled", "using " + LocalNodeImage, "refuses --privileged", "✗ Starting nodes", "Removing what this run created"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if len(fake.containers) != 0 || len(fake.networks) != 0 {
		t.Errorf("left behind: %v %v", fake.containers, fake.networks)
	}
	if len(fake.volumes) != 1 || fake.volumes[l.Config.RegistryVolume()] == nil {
		t.Errorf("volumes = %v, want only the registry data", fake.volumes)
	}
}

func TestUpFailureRetain(t *testing.T) {
	fake := newFake()
	fake.images[LocalNodeImage] = true
	fake.failCreate = "unit-worker02"
	l, _ := testLab(t, fake)
	if err := l.Up(context.Background(), UpOptions{Bare: true, Retain: true}); err == nil {
		t.Fatal("want an error")
	}
	if len(fake.networks) != 1 || len(fake.containers) < 4 {
		t.Fatalf("--retain should keep what was made: %d containers, %d networks", len(fake.containers), len(fake.networks))
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
			fake.failCreate = "unit-manager" // stop right after the node image
			l, out := testLab(t, fake)
			l.nodeHost = func(string) nodeimage.Host { return tt.host }
			built := false
			l.nodeBuild = func(_ context.Context, e docker.Engine, o nodeimage.Options, progress func(string)) error {
				progress("Retrieving packages")
				built = true
				fake.images[LocalNodeImage] = true
				return nil
			}
			err := l.Up(context.Background(), UpOptions{Bare: true})
			if built != tt.wantBuilt {
				t.Fatalf("built = %v, want %v:\n%s", built, tt.wantBuilt, out)
			}
			if tt.wantHint == "" {
				for _, want := range []string{"building it from Debian packages", "✓ Preparing the node image", "✗ Starting nodes"} {
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
	if err := l.Up(context.Background(), UpOptions{}); err == nil || !strings.Contains(err.Error(), "workers -1") {
		t.Fatalf("err = %v", err)
	}
	if len(fake.containers)+len(fake.networks) != 0 {
		t.Fatal("a bad config must create nothing")
	}
}
