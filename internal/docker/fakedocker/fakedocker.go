// Package fakedocker is a host engine in memory, for the tests of the lab
// and of the commands: containers, networks, volumes and image tags live in
// maps, found by their labels as on a real engine. A call the fake does not
// implement panics through the nil embedded docker.Engine, so a test learns
// at once that the code under test reached further than it meant.
package fakedocker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/swarmlab/swarmlab/internal/docker"
)

// Engine is the fake. Its fields may be set before use and read after;
// hold Mu while the engine is in use by other goroutines.
type Engine struct {
	docker.Engine
	Mu         sync.Mutex
	Containers map[string]container.Summary     // by ID
	HostConfig map[string]*container.HostConfig // by ID, as created
	Networks   map[string]network.Summary       // by name
	Volumes    map[string]map[string]string     // labels by name
	Images     map[string]bool                  // references present
	FailCreate string                           // a container name whose creation fails
	Privileged bool                             // whether privileged containers may start
	// OnStart runs when a container starts, as the real process would: a
	// test serves a port there. An error fails the start.
	OnStart func(c container.Summary) error
	// Stopped and Removed record container names, in call order.
	Stopped, Removed []string
}

// New returns an empty engine.
func New() *Engine {
	return &Engine{Containers: map[string]container.Summary{}, HostConfig: map[string]*container.HostConfig{},
		Networks: map[string]network.Summary{}, Volumes: map[string]map[string]string{}, Images: map[string]bool{}}
}

// Add puts a container on the engine as if it had been created earlier,
// and returns its ID.
func (f *Engine) Add(name, state string, labels map[string]string, hc *container.HostConfig) string {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	id := "id-" + strconv.Itoa(len(f.Containers)) + "-" + name
	f.Containers[id] = container.Summary{ID: id, Names: []string{"/" + name}, Labels: labels, State: state}
	if hc == nil {
		hc = &container.HostConfig{}
	}
	f.HostConfig[id] = hc
	return id
}

// Names lists the containers' names, sorted.
func (f *Engine) Names() []string {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var out []string
	for _, c := range f.Containers {
		out = append(out, strings.TrimPrefix(c.Names[0], "/"))
	}
	slices.Sort(out)
	return out
}

func (f *Engine) Info(context.Context) (system.Info, error) {
	return system.Info{ServerVersion: "fake", OSType: "linux", Architecture: "x86_64"}, nil
}

func (f *Engine) Close() error { return nil }

// Matches reports whether labels carry every label=value of a filter.
func Matches(labels map[string]string, args interface{ Get(string) []string }) bool {
	for _, l := range args.Get("label") {
		k, v, _ := strings.Cut(l, "=")
		if labels[k] != v {
			return false
		}
	}
	return true
}

func (f *Engine) ContainerList(_ context.Context, o container.ListOptions) ([]container.Summary, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var out []container.Summary
	for _, c := range f.Containers {
		if Matches(c.Labels, o.Filters) && (o.All || c.State == container.StateRunning) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *Engine) ContainerCreate(_ context.Context, cfg *container.Config, hc *container.HostConfig, _ *network.NetworkingConfig, _ *ocispec.Platform, name string) (container.CreateResponse, error) {
	if name != "" && name == f.FailCreate {
		return container.CreateResponse{}, errors.New("boom")
	}
	id := f.Add(name, container.StateCreated, cfg.Labels, hc)
	return container.CreateResponse{ID: id}, nil
}

func (f *Engine) ContainerInspect(_ context.Context, id string) (container.InspectResponse, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	c, ok := f.Containers[id]
	if !ok {
		return container.InspectResponse{}, errdefs.NotFound(errors.New("no such container: " + id))
	}
	ins := container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{ID: id, Name: c.Names[0],
		HostConfig: f.HostConfig[id], State: &container.State{Status: c.State, Running: c.State == container.StateRunning}}}
	return ins, nil
}

func (f *Engine) ContainerStart(_ context.Context, id string, _ container.StartOptions) error {
	f.Mu.Lock()
	c, ok := f.Containers[id]
	hc := f.HostConfig[id]
	f.Mu.Unlock()
	if !ok {
		return errdefs.NotFound(errors.New("no such container: " + id))
	}
	if hc != nil && hc.Privileged && !f.Privileged {
		return errors.New("unable to apply caps: operation not permitted")
	}
	if f.OnStart != nil {
		if err := f.OnStart(c); err != nil {
			return err
		}
	}
	f.Mu.Lock()
	c.State = container.StateRunning
	f.Containers[id] = c
	f.Mu.Unlock()
	return nil
}

func (f *Engine) ContainerStop(_ context.Context, id string, _ container.StopOptions) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	c, ok := f.Containers[id]
	if !ok {
		return errdefs.NotFound(errors.New("no such container: " + id))
	}
	c.State = container.StateExited
	f.Containers[id] = c
	f.Stopped = append(f.Stopped, strings.TrimPrefix(c.Names[0], "/"))
	return nil
}

func (f *Engine) ContainerRemove(_ context.Context, id string, _ container.RemoveOptions) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if c, ok := f.Containers[id]; ok {
		f.Removed = append(f.Removed, strings.TrimPrefix(c.Names[0], "/"))
	}
	delete(f.Containers, id)
	delete(f.HostConfig, id)
	return nil
}

func (f *Engine) NetworkList(_ context.Context, o network.ListOptions) ([]network.Summary, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var out []network.Summary
	for _, n := range f.Networks {
		if Matches(n.Labels, o.Filters) {
			out = append(out, n)
		}
	}
	return out, nil
}

func (f *Engine) NetworkCreate(_ context.Context, name string, o network.CreateOptions) (network.CreateResponse, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	n := network.Summary{ID: "net-" + name, Name: name, Labels: o.Labels}
	if o.IPAM != nil {
		n.IPAM = *o.IPAM
	}
	f.Networks[name] = n
	return network.CreateResponse{ID: "net-" + name}, nil
}

func (f *Engine) NetworkRemove(_ context.Context, id string) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	delete(f.Networks, strings.TrimPrefix(id, "net-"))
	return nil
}

func (f *Engine) VolumeList(_ context.Context, o volume.ListOptions) (volume.ListResponse, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var out volume.ListResponse
	for name, labels := range f.Volumes {
		if Matches(labels, o.Filters) {
			out.Volumes = append(out.Volumes, &volume.Volume{Name: name, Labels: labels})
		}
	}
	return out, nil
}

func (f *Engine) VolumeCreate(_ context.Context, o volume.CreateOptions) (volume.Volume, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Volumes[o.Name] = o.Labels
	return volume.Volume{Name: o.Name}, nil
}

func (f *Engine) VolumeRemove(_ context.Context, name string, _ bool) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	delete(f.Volumes, name)
	return nil
}

func (f *Engine) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.Images[ref] {
		return image.InspectResponse{ID: "sha256:" + ref}, nil
	}
	return image.InspectResponse{}, errdefs.NotFound(errors.New("no such image: " + ref))
}

func (f *Engine) ImagePull(context.Context, string, image.PullOptions) (io.ReadCloser, error) {
	return nil, errors.New("pull refused: no registry reachable")
}

func (f *Engine) ImageImport(_ context.Context, src image.ImportSource, ref string, _ image.ImportOptions) (io.ReadCloser, error) {
	if _, err := io.Copy(io.Discard, src.Source); err != nil {
		return nil, err
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Images[ref] = true
	return io.NopCloser(bytes.NewReader(nil)), nil
}

func (f *Engine) ImageTag(_ context.Context, source, target string) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if !f.Images[source] {
		return errdefs.NotFound(errors.New("no such image: " + source))
	}
	f.Images[target] = true
	return nil
}

func (f *Engine) ImageList(context.Context, image.ListOptions) ([]image.Summary, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var out []image.Summary
	for ref := range f.Images {
		out = append(out, image.Summary{RepoTags: []string{ref}})
	}
	return out, nil
}

func (f *Engine) ImageRemove(_ context.Context, ref string, _ image.RemoveOptions) ([]image.DeleteResponse, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	delete(f.Images, ref)
	return []image.DeleteResponse{{Untagged: ref}}, nil
}

var _ docker.Engine = (*Engine)(nil)
