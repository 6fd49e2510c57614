package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/nodeimage"
)

// Lab is one lab on one engine.
type Lab struct {
	Config Config
	Engine docker.Engine
	Status *cli.Status
	Log    *slog.Logger

	// NodeClient opens a client to a node's own engine; tests replace it.
	NodeClient func(containerID string) (docker.Swarm, error)
	// FindBinary picks the binary the lab's images ship; tests replace it.
	FindBinary func(path, engineOS, engineArch string) (string, string, error)

	// What can build the node image here, and the build; tests replace them.
	NodeHost  func(engineArch string) nodeimage.Host
	NodeBuild func(ctx context.Context, e docker.Engine, o nodeimage.Options, progress func(string)) error
	// clock is the time the waits see; tests replace it.
	clock clock
}

// New returns a lab for cfg on engine e.
func New(cfg Config, e docker.Engine, status *cli.Status, log *slog.Logger) *Lab {
	l := &Lab{Config: cfg, Engine: e, Status: status, Log: log, FindBinary: ImageBinary,
		NodeHost: nodeimage.ThisHost, NodeBuild: nodeimage.Build, clock: wallClock{}}
	l.NodeClient = func(id string) (docker.Swarm, error) { return docker.NodeClient(e, id) }
	return l
}

// ErrNoLab means the engine holds nothing of the named lab.
var ErrNoLab = errors.New("no such lab")

// NoLabError is ErrNoLab for this lab, with what to do about it.
func (l *Lab) NoLabError() error {
	return cli.WithHint(fmt.Errorf("lab %q: %w", l.Config.Name, ErrNoLab), "create it with "+l.Config.Cmd("up"))
}

// Inventory is what the engine holds of a lab.
type Inventory struct {
	Network    *network.Summary
	Subnet     netip.Prefix
	Containers map[string]container.Summary // by node name; "registry" for the registry
	Volumes    map[string]bool              // by volume name
}

// Empty reports whether nothing of the lab exists, registry data aside.
func (inv Inventory) Empty() bool {
	return inv.Network == nil && len(inv.Containers) == 0 && len(inv.nodeVolumes()) == 0
}

func (inv Inventory) nodeVolumes() []string {
	var out []string
	for v := range inv.Volumes {
		if !strings.HasSuffix(v, "-registry-data") {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// Running reports whether a node's container is running.
func (inv Inventory) Running(node string) bool {
	c, ok := inv.Containers[node]
	return ok && c.State == container.StateRunning
}

func (l *Lab) labFilter() filters.Args {
	return filters.NewArgs(filters.Arg("label", LabelLab+"="+l.Config.Name))
}

// Inventory lists the lab's objects on the engine.
func (l *Lab) Inventory(ctx context.Context) (Inventory, error) {
	inv := Inventory{Containers: map[string]container.Summary{}, Volumes: map[string]bool{}}
	cs, err := l.Engine.ContainerList(ctx, container.ListOptions{All: true, Filters: l.labFilter()})
	if err != nil {
		return inv, EngineError(err)
	}
	for _, c := range cs {
		inv.Containers[c.Labels[LabelNode]] = c
	}
	ns, err := l.Engine.NetworkList(ctx, network.ListOptions{Filters: l.labFilter()})
	if err != nil {
		return inv, EngineError(err)
	}
	for i := range ns {
		if ns[i].Name == l.Config.NetworkName() {
			inv.Network = &ns[i]
			for _, c := range ns[i].IPAM.Config {
				if p, err := netip.ParsePrefix(c.Subnet); err == nil {
					inv.Subnet = p
				}
			}
		}
	}
	vs, err := l.Engine.VolumeList(ctx, volume.ListOptions{Filters: l.labFilter()})
	if err != nil {
		return inv, EngineError(err)
	}
	for _, v := range vs.Volumes {
		inv.Volumes[v.Name] = true
	}
	return inv, nil
}

// EngineError explains an engine that cannot be reached.
func EngineError(err error) error {
	if e := docker.ExplainConnect(err, runtime.GOOS); e != nil {
		return e
	}
	return err
}

// Manager returns a client to a running manager's engine, preferring the
// first manager and falling back to any other, as after a leader stop.
func (l *Lab) Manager(ctx context.Context) (docker.Swarm, string, error) {
	inv, err := l.Inventory(ctx)
	if err != nil {
		return nil, "", err
	}
	return l.ManagerFrom(ctx, inv)
}

// ManagerFrom is Manager from an inventory the caller has just read.
func (l *Lab) ManagerFrom(ctx context.Context, inv Inventory) (docker.Swarm, string, error) {
	return l.ManagerExcept(ctx, inv, "")
}

// ManagerExcept is ManagerFrom that skips one node, the one about to stop.
func (l *Lab) ManagerExcept(ctx context.Context, inv Inventory, skip string) (docker.Swarm, string, error) {
	var names []string
	for name, c := range inv.Containers {
		if c.Labels[LabelRole] == RoleManager && c.State == container.StateRunning && name != skip {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var lastErr error
	for _, name := range names {
		cl, err := l.NodeClient(inv.Containers[name].ID)
		if err != nil {
			lastErr = err
			continue
		}
		info, err := cl.Info(ctx)
		if err == nil && info.Swarm.ControlAvailable {
			return cl, name, nil
		}
		cl.Close()
		if err == nil {
			err = fmt.Errorf("%s is not an active swarm manager (state %q)", name, info.Swarm.LocalNodeState)
		}
		lastErr = err
	}
	if lastErr == nil {
		if inv.Empty() {
			return nil, "", l.NoLabError()
		}
		lastErr = errors.New("no manager container is running")
	}
	return nil, "", cli.WithHint(fmt.Errorf("lab %q has no reachable manager: %w", l.Config.Name, lastErr), "run "+l.Config.Cmd("start")+" or "+l.Config.Cmd("up")+" to repair it")
}

// containerID returns the ID of a node's container, or an error naming the
// nodes there are.
func (l *Lab) containerID(ctx context.Context, node string) (string, Inventory, error) {
	inv, err := l.Inventory(ctx)
	if err != nil {
		return "", inv, err
	}
	c, ok := inv.Containers[node]
	if !ok {
		var names []string
		for n := range inv.Containers {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) == 0 {
			return "", inv, l.NoLabError()
		}
		return "", inv, cli.WithHint(fmt.Errorf("lab %q has no node %q", l.Config.Name, node), "nodes are: "+strings.Join(names, ", "))
	}
	return c.ID, inv, nil
}

// RunningContainer returns the ID of a node's container, which must be running.
func (l *Lab) RunningContainer(ctx context.Context, node string) (string, error) {
	id, inv, err := l.containerID(ctx, node)
	if err != nil {
		return "", err
	}
	if !inv.Running(node) {
		return "", cli.WithHint(fmt.Errorf("%s is not running", node), "start it with "+l.Config.Cmd("node start "+node)+" or "+l.Config.Cmd("start"))
	}
	return id, nil
}

// NodeDocker runs the docker CLI in a running node, as the learner types it
// there, and fails with its output when it exits non-zero.
func (l *Lab) NodeDocker(ctx context.Context, node string, args ...string) (string, error) {
	id, err := l.RunningContainer(ctx, node)
	if err != nil {
		return "", err
	}
	cmd := append([]string{"docker"}, args...)
	res, err := docker.Exec(ctx, l.Engine, id, cmd, nil)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(res.Stdout), res.Err(cmd)
}
