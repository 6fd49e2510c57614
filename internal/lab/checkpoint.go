package lab

// What 'swarmlab tutorial goto' does for the learner on an existing lab, each
// through the same code as the step of up that does it.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/stack"
)

// withOps runs f with an upContext for the lab as it is: its inventory,
// subnet and the folder its first manager mounts at /stack.
func (l *Lab) withOps(ctx context.Context, f func(u *upContext) error) error {
	u := &upContext{lab: l, engine: l.Engine, status: l.Status}
	var err error
	if u.inv, err = l.Inventory(ctx); err != nil {
		return err
	}
	if u.inv.Empty() {
		return l.errNoLab()
	}
	defer func() {
		if u.mgr != nil {
			u.mgr.Close()
		}
	}()
	u.subnet = u.inv.Subnet
	if u.ep, err = l.EndpointsOf(ctx, u.inv); err != nil {
		return err
	}
	u.stackDir = l.mountedStackDir(ctx, u.inv)
	return f(u)
}

// mountedStackDir is the host folder the first manager mounts at /stack.
func (l *Lab) mountedStackDir(ctx context.Context, inv Inventory) string {
	if ins, err := l.Engine.ContainerInspect(ctx, inv.Containers[l.Config.Nodes()[0].Name].ID); err == nil {
		for _, m := range ins.Mounts {
			if m.Destination == "/stack" {
				return m.Source
			}
		}
	}
	dir, _ := l.Config.StackDirPath()
	return dir
}

// InitSwarm initialises the swarm on the first manager, with the heartbeat
// up would choose, for the learner who skips 'docker swarm init'.
func (l *Lab) InitSwarm(ctx context.Context) error {
	return l.withOps(ctx, func(u *upContext) error { return u.initSwarm(ctx) })
}

// JoinWorkers joins the named nodes to the swarm as workers and waits until
// they are Ready.
func (l *Lab) JoinWorkers(ctx context.Context, names ...string) error {
	return l.withOps(ctx, func(u *upContext) error {
		var nodes []Node
		for _, n := range l.Config.Nodes() {
			if n.Role == RoleWorker && slices.Contains(names, n.Name) {
				nodes = append(nodes, n)
			}
		}
		if err := u.joinSome(ctx, nodes); err != nil {
			return err
		}
		mgr, err := u.firstManager()
		if err != nil {
			return err
		}
		return waitNodesReady(ctx, l.clock, mgr, append([]string{l.Config.Nodes()[0].Name}, names...), ReadyPatience, l.Status.Progress, nil)
	})
}

// TagHandout tags the handout's images for the lab registry as the handout
// does, localhost:PORT/REPO:latest.
func (l *Lab) TagHandout(ctx context.Context) error {
	for _, img := range HandoutImages {
		if err := l.Engine.ImageTag(ctx, img.Host+":latest", l.Config.HostRegistryRefs(img.Repo)[0]); err != nil {
			return fmt.Errorf("tag %s: %w", img.Host, err)
		}
	}
	return nil
}

// CreateOverlay creates the tutorial's attachable overlay network.
func (l *Lab) CreateOverlay(ctx context.Context) error {
	return l.withOps(ctx, func(u *upContext) error { return u.createOverlay(ctx) })
}

// DeployStacks deploys the named stacks of stack.Stacks at once, as up does
// one by one, and waits until each has converged.
func (l *Lab) DeployStacks(ctx context.Context, names ...string) error {
	return l.withOps(ctx, func(u *upContext) error {
		// What deploy sets up once per run, set up before the deploys share it.
		if _, err := u.firstManager(); err != nil {
			return err
		}
		if _, err := u.hasIPVS(ctx); err != nil {
			return err
		}
		var g errgroup.Group
		for _, s := range stack.Stacks {
			if slices.Contains(names, s.Name) {
				g.Go(func() error { return u.deploy(ctx, s.Name, s.File) })
			}
		}
		return g.Wait()
	})
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
