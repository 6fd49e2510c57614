package lab

// The steps of Up that form the swarm out of the running nodes.

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"golang.org/x/sync/errgroup"

	"github.com/swarmlab/swarmlab/internal/docker"
)

func (u *upContext) enginesAnswer(ctx context.Context) error {
	return u.lab.waitNodeEngines(ctx, u.inv, nodeNames(u.cfg.Nodes()), engineAnswers, EnginePatience, u.status.Progress)
}

func (u *upContext) initSwarm(ctx context.Context) error {
	first := u.cfg.Nodes()[0]
	cl, err := u.firstManager()
	if err != nil {
		return err
	}
	info, err := cl.Info(ctx)
	if err != nil {
		return err
	}
	if info.Swarm.LocalNodeState == swarm.LocalNodeStateActive && info.Swarm.ControlAvailable {
		u.status.Progress("already initialised")
		return u.setHeartbeat(ctx, cl)
	}
	ip := NodeIP(u.subnet, first).String()
	spec := swarm.Spec{}
	spec.Dispatcher.HeartbeatPeriod = u.cfg.Heartbeat
	_, err = cl.SwarmInit(ctx, swarm.InitRequest{ListenAddr: "0.0.0.0:2377", AdvertiseAddr: ip, Spec: spec})
	if err != nil {
		return fmt.Errorf("swarm init on %s: %w", first.Name, err)
	}
	return nil
}

// setHeartbeat applies the configured heartbeat to an existing swarm.
func (u *upContext) setHeartbeat(ctx context.Context, cl docker.Swarm) error {
	if u.cfg.Heartbeat == 0 {
		return nil
	}
	sw, err := cl.SwarmInspect(ctx)
	if err != nil {
		return err
	}
	if sw.Spec.Dispatcher.HeartbeatPeriod == u.cfg.Heartbeat {
		return nil
	}
	sw.Spec.Dispatcher.HeartbeatPeriod = u.cfg.Heartbeat
	return cl.SwarmUpdate(ctx, sw.Version, sw.Spec, swarm.UpdateFlags{})
}

func (u *upContext) joinNodes(ctx context.Context) error {
	nodes := u.cfg.Nodes()
	mgr, err := u.firstManager()
	if err != nil {
		return err
	}
	sw, err := mgr.SwarmInspect(ctx)
	if err != nil {
		return fmt.Errorf("read the join tokens: %w", err)
	}
	remote := NodeIP(u.subnet, nodes[0]).String() + ":2377"
	// The swarm's own node list says who is already a member.
	list, err := mgr.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return err
	}
	members := map[string]bool{}
	for _, n := range list {
		members[n.ID] = true
	}
	// Managers join one at a time: Raft adds members one by one.
	for _, n := range nodes[1:] {
		if n.Role == RoleManager {
			if err := u.join(ctx, n, members, sw.JoinTokens.Manager, remote); err != nil {
				return err
			}
		}
	}
	var g errgroup.Group
	for _, n := range nodes {
		if n.Role == RoleWorker {
			g.Go(func() error { return u.join(ctx, n, members, sw.JoinTokens.Worker, remote) })
		}
	}
	return g.Wait()
}

// join makes n a member of the swarm whose node IDs are members, leaving any
// other swarm first (a node whose volume outlived its manager's).
func (u *upContext) join(ctx context.Context, n Node, members map[string]bool, token, remote string) error {
	cl, err := u.lab.NodeClient(u.containerOf(n.Name))
	if err != nil {
		return err
	}
	defer cl.Close()
	info, err := cl.Info(ctx)
	if err != nil {
		return err
	}
	// A node that was just started reconnects for a moment before it is
	// active again; only then can it be told apart from a stranger.
	if info.Swarm.LocalNodeState == swarm.LocalNodeStatePending {
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		_ = poll(wctx, 250*time.Millisecond, func() (bool, error) {
			if i, err := cl.Info(wctx); err == nil {
				info = i
			}
			return info.Swarm.LocalNodeState != swarm.LocalNodeStatePending, nil
		})
		cancel()
	}
	switch info.Swarm.LocalNodeState {
	case swarm.LocalNodeStateInactive:
	case swarm.LocalNodeStateActive:
		if members[info.Swarm.NodeID] {
			return nil
		}
		fallthrough
	default: // another swarm, or a join that never finished
		if err := cl.SwarmLeave(ctx, true); err != nil {
			return fmt.Errorf("%s: leave its old swarm: %w", n.Name, err)
		}
	}
	err = cl.SwarmJoin(ctx, swarm.JoinRequest{
		ListenAddr: "0.0.0.0:2377", AdvertiseAddr: NodeIP(u.subnet, n).String(),
		RemoteAddrs: []string{remote}, JoinToken: token,
	})
	if err != nil {
		return fmt.Errorf("%s: swarm join: %w", n.Name, err)
	}
	return nil
}

func (u *upContext) nodesReady(ctx context.Context) error {
	mgr, err := u.firstManager()
	if err != nil {
		return err
	}
	return waitNodesReady(ctx, u.lab.clock, mgr, nodeNames(u.cfg.Nodes()), ReadyPatience, u.status.Progress, nil)
}
