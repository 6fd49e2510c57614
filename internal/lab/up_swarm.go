package lab

// The steps of Up that form the swarm out of the running nodes.

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"golang.org/x/sync/errgroup"

	"github.com/swarmlab/swarmlab/internal/docker"
)

func (u *upContext) enginesAnswer(ctx context.Context) error {
	return u.lab.waitNodeEngines(ctx, u.inv, nodeNames(u.lab.Config.Nodes()), engineAnswers, EnginePatience, u.status.Progress)
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
		return u.setHeartbeat(ctx, cl)
	}
	ip := NodeIP(u.subnet, first).String()
	spec := swarm.Spec{}
	spec.Dispatcher.HeartbeatPeriod = u.heartbeat(ctx, cl)
	_, err = cl.SwarmInit(ctx, swarm.InitRequest{ListenAddr: "0.0.0.0:2377", AdvertiseAddr: ip, Spec: spec})
	if err != nil {
		return fmt.Errorf("swarm init on %s: %w", first.Name, err)
	}
	return nil
}

// setHeartbeat applies a --heartbeat to an existing swarm; without one the
// swarm keeps the heartbeat it was given.
func (u *upContext) setHeartbeat(ctx context.Context, cl docker.Swarm) error {
	if u.askedHeartbeat == 0 {
		return nil
	}
	return updateHeartbeat(ctx, cl, u.askedHeartbeat)
}

func updateHeartbeat(ctx context.Context, cl docker.Swarm, hb time.Duration) error {
	sw, err := cl.SwarmInspect(ctx)
	if err != nil {
		return err
	}
	if sw.Spec.Dispatcher.HeartbeatPeriod == hb {
		return nil
	}
	sw.Spec.Dispatcher.HeartbeatPeriod = hb
	return cl.SwarmUpdate(ctx, sw.Version, sw.Spec, swarm.UpdateFlags{})
}

// heartbeat is the dispatcher heartbeat of a new swarm: --heartbeat when
// given, else one the engine's speed allows. A node is marked Down after
// about three missed heartbeats, and on a slow machine a busy node's
// heartbeat comes late: a 2 s one would make its nodes flap.
func (u *upContext) heartbeat(ctx context.Context, cl docker.Swarm) time.Duration {
	if u.askedHeartbeat != 0 {
		u.status.Progress(fmt.Sprintf("heartbeat %s (--heartbeat)", u.askedHeartbeat))
		return u.askedHeartbeat
	}
	rtt, err := roundTrip(ctx, cl, 5)
	if err != nil {
		u.lab.Log.Warn("timing the manager's engine", "err", err)
		rtt = 0
	}
	u.autoHeartbeat = heartbeatFor(rtt)
	if u.autoHeartbeat > DefaultHeartbeat {
		u.status.Infof("the manager's engine answers in %s (median of 5 calls), a slow machine: the swarm's heartbeat is %s instead of %s, so that busy nodes are not marked Down (--heartbeat sets one)",
			rtt.Round(time.Millisecond), u.autoHeartbeat, DefaultHeartbeat)
	} else {
		u.status.Progress(fmt.Sprintf("heartbeat %s; the manager's engine answers in %s", u.autoHeartbeat, rtt.Round(time.Millisecond)))
	}
	return u.autoHeartbeat
}

// Heartbeats up chooses from, by how long the manager's engine takes to
// answer Info (the median of a few calls through dial-stdio): 10 ms on a
// 2-core CI machine busy with other work, 5-20x that in an emulated VM.
const (
	DefaultHeartbeat = 2 * time.Second  // a laptop, or CI
	slowHeartbeat    = 5 * time.Second  // swarm's own default
	maxHeartbeat     = 20 * time.Second // what a flap backs off to at most
)

func heartbeatFor(rtt time.Duration) time.Duration {
	switch {
	case rtt < 60*time.Millisecond:
		return DefaultHeartbeat
	case rtt < 300*time.Millisecond:
		return slowHeartbeat
	}
	return 2 * slowHeartbeat
}

// roundTrip times n Info calls after a first one, which opens the
// connection, and returns the median.
func roundTrip(ctx context.Context, cl docker.Swarm, n int) (time.Duration, error) {
	if _, err := cl.Info(ctx); err != nil {
		return 0, err
	}
	times := make([]time.Duration, n)
	for i := range times {
		t0 := time.Now()
		if _, err := cl.Info(ctx); err != nil {
			return 0, err
		}
		times[i] = time.Since(t0)
	}
	slices.Sort(times)
	return times[n/2], nil
}

func (u *upContext) joinNodes(ctx context.Context) error {
	return u.joinSome(ctx, u.lab.Config.Nodes()[1:])
}

// joinSome joins nodes (never the first manager, which made the swarm).
func (u *upContext) joinSome(ctx context.Context, nodes []Node) error {
	first := u.lab.Config.Nodes()[0]
	mgr, err := u.firstManager()
	if err != nil {
		return err
	}
	sw, err := mgr.SwarmInspect(ctx)
	if err != nil {
		return fmt.Errorf("read the join tokens: %w", err)
	}
	remote := NodeIP(u.subnet, first).String() + ":2377"
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
		_ = Poll(wctx, 250*time.Millisecond, func() (bool, error) {
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
	var onFlap func(string)
	if u.autoHeartbeat != 0 {
		onFlap = func(node string) { u.backOffHeartbeat(ctx, mgr, node) }
	}
	return waitNodesReady(ctx, u.lab.clock, mgr, nodeNames(u.lab.Config.Nodes()), ReadyPatience, u.status.Progress, onFlap)
}

// backOffHeartbeat doubles a heartbeat up chose when a node that was Ready
// is not any more: the engine is slower than it measured.
func (u *upContext) backOffHeartbeat(ctx context.Context, mgr docker.Swarm, node string) {
	hb := min(2*u.autoHeartbeat, maxHeartbeat)
	if hb == u.autoHeartbeat {
		return
	}
	if err := updateHeartbeat(ctx, mgr, hb); err != nil {
		u.lab.Log.Warn("backing off the heartbeat", "err", err)
		return
	}
	u.status.Infof("%s was Ready, then not: the swarm's heartbeat goes from %s to %s (--heartbeat sets one)", node, u.autoHeartbeat, hb)
	u.autoHeartbeat = hb
}
