package up

// What 'swarmlab tutorial goto' does for the learner on an existing lab, each
// through the same code as the step of up that does it.

import (
	"context"
	"fmt"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/stack"
)

// withOps runs f with an upContext for the lab as it is: its inventory,
// subnet and the folder its first manager mounts at /stack.
func withOps(ctx context.Context, l *lab.Lab, f func(u *upContext) error) error {
	u := &upContext{lab: l, engine: l.Engine, status: l.Status}
	var err error
	if u.inv, err = l.Inventory(ctx); err != nil {
		return err
	}
	if u.inv.Empty() {
		return l.NoLabError()
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
	u.stackDir = mountedStackDir(ctx, l, u.inv)
	return f(u)
}

// mountedStackDir is the host folder the first manager mounts at /stack.
func mountedStackDir(ctx context.Context, l *lab.Lab, inv lab.Inventory) string {
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
func InitSwarm(ctx context.Context, l *lab.Lab) error {
	return withOps(ctx, l, func(u *upContext) error { return u.initSwarm(ctx) })
}

// JoinWorkers joins the named nodes to the swarm as workers and waits until
// they are Ready.
func JoinWorkers(ctx context.Context, l *lab.Lab, names ...string) error {
	return withOps(ctx, l, func(u *upContext) error {
		var nodes []lab.Node
		for _, n := range l.Config.Nodes() {
			if n.Role == lab.RoleWorker && slices.Contains(names, n.Name) {
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
		return l.WaitNodesReady(ctx, mgr, append([]string{l.Config.Nodes()[0].Name}, names...), lab.ReadyPatience, l.Status.Progress, nil)
	})
}

// TagHandout tags the handout's images for the lab registry as the handout
// does, localhost:PORT/REPO:latest.
func TagHandout(ctx context.Context, l *lab.Lab) error {
	for _, img := range lab.HandoutImages {
		if err := l.Engine.ImageTag(ctx, img.Host+":latest", l.Config.HostRegistryRefs(img.Repo)[0]); err != nil {
			return fmt.Errorf("tag %s: %w", img.Host, err)
		}
	}
	return nil
}

// CreateOverlay creates the tutorial's attachable overlay network.
func CreateOverlay(ctx context.Context, l *lab.Lab) error {
	return withOps(ctx, l, func(u *upContext) error { return u.createOverlay(ctx) })
}

// DeployStacks deploys the named stacks of stack.Stacks at once, as up does
// one by one, and waits until each has converged.
func DeployStacks(ctx context.Context, l *lab.Lab, names ...string) error {
	return withOps(ctx, l, func(u *upContext) error {
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
