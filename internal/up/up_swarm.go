package up

// The steps of Run that form the swarm out of the running nodes.

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"golang.org/x/sync/errgroup"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

func (u *upContext) enginesAnswer(ctx context.Context) error {
	return u.lab.WaitEnginesAnswer(ctx, u.inv, lab.NodeNames(u.lab.Config.Nodes()), lab.EnginePatience, u.status.Progress)
}

func (u *upContext) initSwarm(ctx context.Context) error {
	first := u.lab.Config.Nodes()[0]
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
		return u.keepHeartbeat(ctx, cl)
	}
	ip := lab.NodeIP(u.subnet, first).String()
	hb := u.heartbeat(ctx, cl)
	spec := swarm.Spec{}
	spec.Dispatcher.HeartbeatPeriod = hb.Period
	spec.Labels = heartbeatLabels(hb, nil)
	_, err = cl.SwarmInit(ctx, swarm.InitRequest{ListenAddr: "0.0.0.0:2377", AdvertiseAddr: ip, Spec: spec})
	if err != nil {
		return fmt.Errorf("swarm init on %s: %w", first.Name, err)
	}
	// Init merges the spec with swarm's defaults; the update makes sure
	// the labels are there for status.
	return writeHeartbeat(ctx, cl, hb)
}

// keepHeartbeat applies a --heartbeat to an existing swarm. Without one the
// swarm keeps the heartbeat it was given, and one swarmlab chose is checked
// again once the nodes are Ready (nodesReady).
func (u *upContext) keepHeartbeat(ctx context.Context, cl docker.Swarm) error {
	if u.askedHeartbeat != 0 {
		return writeHeartbeat(ctx, cl, lab.HeartbeatChoice{Period: u.askedHeartbeat, By: lab.HeartbeatByUser, Why: "--heartbeat or the config file"})
	}
	cur, err := lab.ReadHeartbeat(ctx, cl)
	if err != nil {
		return err
	}
	if cur.By == lab.HeartbeatBySwarmlab {
		u.autoHeartbeat = cur.Period
	}
	return nil
}

// heartbeat is the dispatcher heartbeat of a new swarm: --heartbeat when
// given, else one the engine's speed allows (heartbeat.go).
func (u *upContext) heartbeat(ctx context.Context, cl docker.Swarm) lab.HeartbeatChoice {
	if u.askedHeartbeat != 0 {
		u.status.Progress(fmt.Sprintf("heartbeat %s (--heartbeat)", u.askedHeartbeat))
		return lab.HeartbeatChoice{Period: u.askedHeartbeat, By: lab.HeartbeatByUser, Why: "--heartbeat or the config file"}
	}
	if err := u.speed.sample(ctx, cl); err != nil {
		u.lab.Log.Warn("timing the manager's engine", "err", err)
	}
	c := u.speed.choice()
	u.autoHeartbeat = c.Period
	if c.Period > DefaultHeartbeat {
		u.status.Infof("the manager's engine answers in %s (median of %d calls), a slow machine: the swarm's heartbeat is %s instead of %s for now, so that busy nodes are not marked Down; it is checked again once the nodes are Ready (--heartbeat sets one)",
			u.speed.best.Round(time.Millisecond), callsPerRound, c.Period, DefaultHeartbeat)
	} else {
		u.status.Progress(fmt.Sprintf("heartbeat %s; the manager's engine answers in %s", c.Period, u.speed.best.Round(time.Millisecond)))
	}
	return c
}

func (u *upContext) joinNodes(ctx context.Context) error {
	return u.joinSome(ctx, u.lab.Config.Nodes()[1:])
}

// joinSome joins nodes (never the first manager, which made the swarm).
func (u *upContext) joinSome(ctx context.Context, nodes []lab.Node) error {
	first := u.lab.Config.Nodes()[0]
	mgr, err := u.firstManager()
	if err != nil {
		return err
	}
	sw, err := mgr.SwarmInspect(ctx)
	if err != nil {
		return fmt.Errorf("read the join tokens: %w", err)
	}
	remote := lab.NodeIP(u.subnet, first).String() + ":2377"
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
	for _, n := range nodes {
		if n.Role == lab.RoleManager {
			if err := u.join(ctx, n, members, sw.JoinTokens.Manager, remote); err != nil {
				return err
			}
		}
	}
	var g errgroup.Group
	for _, n := range nodes {
		if n.Role == lab.RoleWorker {
			g.Go(func() error { return u.join(ctx, n, members, sw.JoinTokens.Worker, remote) })
		}
	}
	return g.Wait()
}

// join makes n a member of the swarm whose node IDs are members, leaving any
// other swarm first (a node whose volume outlived its manager's).
func (u *upContext) join(ctx context.Context, n lab.Node, members map[string]bool, token, remote string) error {
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
		_ = lab.Poll(wctx, 250*time.Millisecond, func() (bool, error) {
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
		ListenAddr: "0.0.0.0:2377", AdvertiseAddr: lab.NodeIP(u.subnet, n).String(),
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
	var onFlap func(string)
	if u.autoHeartbeat != 0 {
		onFlap = func(node string) { u.backOffHeartbeat(ctx, mgr, node) }
	}
	if err := u.lab.WaitNodesReady(ctx, mgr, lab.NodeNames(u.lab.Config.Nodes()), lab.ReadyPatience, u.status.Progress, onFlap); err != nil {
		return err
	}
	// The nodes' engines have started: the manager's engine is timed
	// again, out of the busy moment up itself made, unless a flap showed
	// that the heartbeat must be long.
	if u.autoHeartbeat == 0 || u.flapped {
		return nil
	}
	say := func(s string) { u.status.Infof("%s", s) }
	if err := recheckHeartbeat(ctx, mgr, &u.speed, say); err != nil {
		u.lab.Log.Warn("checking the heartbeat again", "err", err)
	}
	return nil
}

// backOffHeartbeat doubles a heartbeat up chose when a node that was Ready
// is not any more: the engine is slower than it measured.
func (u *upContext) backOffHeartbeat(ctx context.Context, mgr docker.Swarm, node string) {
	u.flapped = true
	hb := min(2*u.autoHeartbeat, maxHeartbeat)
	if hb == u.autoHeartbeat {
		return
	}
	why := fmt.Sprintf("%s was Ready, then not, while up waited: backed off from %s", node, u.autoHeartbeat)
	if err := writeHeartbeat(ctx, mgr, lab.HeartbeatChoice{Period: hb, By: lab.HeartbeatBySwarmlab, Why: why}); err != nil {
		u.lab.Log.Warn("backing off the heartbeat", "err", err)
		return
	}
	u.status.Infof("%s was Ready, then not: the swarm's heartbeat goes from %s to %s (--heartbeat sets one)", node, u.autoHeartbeat, hb)
	u.autoHeartbeat = hb
}
