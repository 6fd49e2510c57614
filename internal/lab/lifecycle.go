package lab

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/docker/docker/api/types/container"
	"golang.org/x/sync/errgroup"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
)

// Down removes the lab's containers, node volumes and network. The registry
// data volume stays, as the tutorial's images do, unless purge.
func (l *Lab) Down(ctx context.Context, purge bool) error {
	inv, err := l.Inventory(ctx)
	if err != nil {
		return err
	}
	if inv.Empty() && (!purge || len(inv.Volumes) == 0) {
		l.Status.Infof("lab %q does not exist; nothing to remove", l.Config.Name)
		return nil
	}
	l.Status.Start("Removing containers")
	var g errgroup.Group
	for name, c := range inv.Containers {
		g.Go(func() error {
			if err := l.Engine.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
				return fmt.Errorf("remove %s: %w", name, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		l.Status.End(false)
		return err
	}
	l.Status.End(true)
	l.Status.Start("Removing volumes and network")
	var errs []error
	for v := range inv.Volumes {
		if v == l.Config.RegistryVolume() && !purge {
			continue
		}
		if err := l.Engine.VolumeRemove(ctx, v, true); err != nil {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", v, err))
		}
	}
	if inv.Network != nil {
		if err := l.Engine.NetworkRemove(ctx, inv.Network.ID); err != nil {
			errs = append(errs, fmt.Errorf("remove network %s: %w", inv.Network.Name, err))
		}
	}
	l.Status.End(len(errs) == 0)
	if len(errs) == 0 && !purge && inv.Volumes[l.Config.RegistryVolume()] {
		l.Status.Infof("kept the registry's images in volume %s (remove them with %s)", l.Config.RegistryVolume(), l.Config.Cmd("down --purge"))
	}
	return errors.Join(errs...)
}

// Stop stops every running lab container, all at once.
func (l *Lab) Stop(ctx context.Context) error {
	inv, err := l.Inventory(ctx)
	if err != nil {
		return err
	}
	if len(inv.Containers) == 0 {
		return l.NoLabError()
	}
	l.Status.Start("Stopping the lab")
	var g errgroup.Group
	for name, c := range inv.Containers {
		if c.State == container.StateRunning {
			g.Go(func() error {
				if err := l.stopContainer(ctx, c.ID); err != nil {
					return fmt.Errorf("stop %s: %w", name, err)
				}
				return nil
			})
		}
	}
	err = g.Wait()
	l.Status.End(err == nil)
	return err
}

func (l *Lab) stopContainer(ctx context.Context, id string) error {
	timeout := 10
	return l.Engine.ContainerStop(ctx, id, container.StopOptions{Timeout: &timeout})
}

// Start starts a stopped lab and waits until the swarm is whole again.
// onReady, when set, runs once every node is Ready and before the services
// are awaited: up.Start re-checks the heartbeat there, which this package
// cannot do without importing up.
func (l *Lab) Start(ctx context.Context, onReady func(context.Context)) error {
	inv, err := l.Inventory(ctx)
	if err != nil {
		return err
	}
	if len(inv.Containers) == 0 {
		return l.NoLabError()
	}
	l.Status.Start("Starting the lab")
	// Managers first, and running their swarm, before any worker: a worker
	// whose engine starts before a manager listens fails to join the
	// overlay's gossip and, until it retries a minute later, its tasks are
	// missing from the other nodes' DNS.
	var errs []error
	for _, role := range []string{RoleRegistry, RoleManager, RoleWorker, RoleEdge} {
		for _, n := range sortedNames(inv) {
			c := inv.Containers[n]
			if c.Labels[LabelRole] != role || c.State == container.StateRunning {
				continue
			}
			if err := l.Engine.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
				errs = append(errs, fmt.Errorf("start %s: %w", n, err))
			}
		}
		if role == RoleManager && len(errs) == 0 {
			managers := func(n string) { l.Status.Progress("managers running their swarm: " + n) }
			if err := l.waitNodeEngines(ctx, inv, roleNames(inv, RoleManager), swarmSettled, EnginePatience, managers); err != nil {
				errs = append(errs, err)
			}
			l.Status.Progress("starting the workers")
		}
	}
	l.Status.End(len(errs) == 0)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if inv, err = l.Inventory(ctx); err != nil {
		return err
	}
	if mgr, _, err := l.ManagerFrom(ctx, inv); err == nil {
		mgr.Close()
	} else {
		// A hands-on lab before 'docker swarm init': no swarm to wait for.
		l.Status.Start("Waiting for the nodes' Docker engines")
		err := l.waitNodeEngines(ctx, inv, append(roleNames(inv, RoleManager), roleNames(inv, RoleWorker)...), engineAnswers, EnginePatience, l.Status.Progress)
		l.Status.End(err == nil)
		return err
	}
	if err := l.WaitReady(ctx, ReadyPatience); err != nil {
		return err
	}
	if onReady != nil {
		onReady(ctx)
	}
	return l.WaitServices(ctx, StackPatience)
}

// WaitServices waits until every service runs its desired tasks again and,
// when the ingress is published, until it answers.
func (l *Lab) WaitServices(ctx context.Context, p Patience) error {
	mgr, _, err := l.Manager(ctx)
	if err != nil {
		return err
	}
	defer mgr.Close()
	svcs, err := Services(ctx, mgr, "")
	if err != nil || len(svcs) == 0 {
		return err
	}
	l.Status.Start("Waiting for the services")
	err = WaitStack(ctx, mgr, "", p, l.Status.Progress)
	if err == nil {
		var ep Endpoints
		if ep, err = l.Endpoints(ctx); err == nil {
			err = WaitIngress(ctx, ep, l.Status.Progress)
		}
	}
	l.Status.End(err == nil)
	return err
}

func sortedNames(inv Inventory) []string {
	names := make([]string, 0, len(inv.Containers))
	for n := range inv.Containers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// roleNames lists the lab's containers of one role, by node name.
func roleNames(inv Inventory, role string) []string {
	var names []string
	for _, n := range sortedNames(inv) {
		if inv.Containers[n].Labels[LabelRole] == role {
			names = append(names, n)
		}
	}
	return names
}

// NodeStop stops one node's container (docker stop: its engine stops its
// tasks first). Stopping the last running manager needs force: with no
// manager, nothing reschedules.
func (l *Lab) NodeStop(ctx context.Context, node string, force bool) error {
	return l.nodeHalt(ctx, node, force, nil)
}

// NodeKill kills one node's container with SIGKILL: no warning, as when a
// server loses power. The same rule as NodeStop guards the last manager.
// A dead server sends nothing more, but the kernel of a killed container
// still closes its tasks' connections (FIN or RST): so its network is cut
// first, and packets to it vanish as they would; warn hears when that
// failed.
func (l *Lab) NodeKill(ctx context.Context, node string, force bool, warn func(string)) error {
	return l.nodeHalt(ctx, node, force, warn)
}

// cutNetwork drops every packet in and out of a node, but its loopback.
// The rules go with the container's network namespace when it dies.
var cutNetwork = []string{"sh", "-c", "iptables -I INPUT ! -i lo -j DROP && iptables -I OUTPUT ! -o lo -j DROP && iptables -I FORWARD -j DROP"}

// nodeHalt stops node, or kills it when warn is set (see NodeKill).
func (l *Lab) nodeHalt(ctx context.Context, node string, force bool, warn func(string)) error {
	id, inv, err := l.containerID(ctx, node)
	if err != nil {
		return err
	}
	c := inv.Containers[node]
	if c.Labels[LabelRole] == RoleManager && !force {
		running := 0
		for _, o := range inv.Containers {
			if o.Labels[LabelRole] == RoleManager && o.State == container.StateRunning {
				running++
			}
		}
		if running <= 1 {
			return cli.WithHint(fmt.Errorf("%s is the only running manager: with no manager the swarm cannot reschedule anything", node), "stop a worker instead, or pass --force; with 'up --managers 3' a manager can be stopped safely")
		}
	}
	if warn != nil {
		l.Status.Start("Killing " + node)
		res, cerr := docker.Exec(ctx, l.Engine, id, cutNetwork, nil)
		if cerr == nil {
			cerr = res.Err(cutNetwork)
		}
		if cerr != nil {
			warn(fmt.Sprintf("could not cut %s's network first (its connections may close cleanly): %v", node, cerr))
		}
		err = l.Engine.ContainerKill(ctx, id, "KILL")
	} else {
		l.Status.Start("Stopping " + node)
		err = l.stopContainer(ctx, id)
	}
	l.Status.End(err == nil)
	return err
}

// NodeStart starts one node's container again.
func (l *Lab) NodeStart(ctx context.Context, node string) error {
	id, _, err := l.containerID(ctx, node)
	if err != nil {
		return err
	}
	l.Status.Start("Starting " + node)
	err = l.Engine.ContainerStart(ctx, id, container.StartOptions{})
	l.Status.End(err == nil)
	return err
}
