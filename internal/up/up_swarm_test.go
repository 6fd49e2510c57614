package up

import (
	"context"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

func TestHeartbeatFor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rtt  time.Duration
		want time.Duration
	}{
		{0, DefaultHeartbeat},
		{10 * time.Millisecond, DefaultHeartbeat},
		// Info on 2 cores at load 20: still the fast failover.
		{250 * time.Millisecond, DefaultHeartbeat},
		{356 * time.Millisecond, slowHeartbeat}, // the emulated VM
		{3 * time.Second, slowHeartbeat},        // never longer than swarm's default
	} {
		if got := heartbeatFor(tt.rtt); got != tt.want {
			t.Errorf("heartbeatFor(%s) = %s, want %s", tt.rtt, got, tt.want)
		}
	}
}

// heartbeatSwarm keeps a swarm's spec, as SwarmInit, SwarmInspect and
// SwarmUpdate see it, and answers Info at once.
type heartbeatSwarm struct {
	docker.Swarm
	active  bool // whether the swarm exists
	spec    swarm.Spec
	updates int
	infos   int
}

func (h *heartbeatSwarm) Info(context.Context) (system.Info, error) {
	h.infos++
	var info system.Info
	if h.active {
		info.Swarm.LocalNodeState = swarm.LocalNodeStateActive
		info.Swarm.ControlAvailable = true
	}
	return info, nil
}

func (h *heartbeatSwarm) SwarmInit(_ context.Context, req swarm.InitRequest) (string, error) {
	h.active = true
	// Like the engine, init keeps swarm's defaults and takes the heartbeat.
	h.spec.Dispatcher.HeartbeatPeriod = req.Spec.Dispatcher.HeartbeatPeriod
	return "node0", nil
}

func (h *heartbeatSwarm) SwarmInspect(context.Context) (swarm.Swarm, error) {
	var sw swarm.Swarm
	sw.Spec = h.spec
	sw.Spec.Labels = maps.Clone(h.spec.Labels)
	return sw, nil
}

func (h *heartbeatSwarm) SwarmUpdate(_ context.Context, _ swarm.Version, spec swarm.Spec, _ swarm.UpdateFlags) error {
	h.spec = spec
	h.updates++
	return nil
}

func (h *heartbeatSwarm) choice(t *testing.T) lab.HeartbeatChoice {
	t.Helper()
	c, err := lab.ReadHeartbeat(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A new swarm gets the heartbeat the manager's speed allows, and the
// swarm's labels say who chose it and why, for status.
func TestInitSwarmRecordsTheHeartbeat(t *testing.T) {
	t.Parallel()
	l, _ := testLab(t, newFake())
	mgr := &heartbeatSwarm{}
	u := &upContext{lab: l, engine: l.Engine, status: l.Status, mgr: mgr, subnet: netip.MustParsePrefix("10.0.0.0/24")}
	if err := u.initSwarm(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := mgr.choice(t)
	if c.Period != DefaultHeartbeat || c.By != lab.HeartbeatBySwarmlab || !strings.Contains(c.Why, "best median of 1 round(s) of 5 calls") {
		t.Errorf("new swarm: %+v", c)
	}
	if mgr.infos < 1+callsPerRound {
		t.Errorf("the engine was called %d times: not timed", mgr.infos)
	}

	// up again with --heartbeat: the swarm takes it, and says it was given.
	again := &upContext{lab: l, engine: l.Engine, status: l.Status, mgr: mgr, askedHeartbeat: 3 * time.Second}
	if err := again.initSwarm(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := mgr.choice(t); c.Period != 3*time.Second || c.By != lab.HeartbeatByUser || again.autoHeartbeat != 0 {
		t.Errorf("--heartbeat 3s on an existing swarm: %+v, auto %s", c, again.autoHeartbeat)
	}
	// A repair without --heartbeat keeps what the user gave.
	repair := &upContext{lab: l, engine: l.Engine, status: l.Status, mgr: mgr}
	if err := repair.initSwarm(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := mgr.choice(t); c.Period != 3*time.Second || c.By != lab.HeartbeatByUser || repair.autoHeartbeat != 0 {
		t.Errorf("repair: %+v, auto %s", c, repair.autoHeartbeat)
	}
}

// A heartbeat chosen at a busy moment is shortened when the engine answers
// fast later (start, or up once the nodes are Ready); one the user gave is
// left alone.
func TestRecheckHeartbeat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	busy := lab.HeartbeatChoice{Period: slowHeartbeat, By: lab.HeartbeatBySwarmlab, Why: "busy"}
	mgr := &heartbeatSwarm{active: true}
	if err := writeHeartbeat(ctx, mgr, busy); err != nil {
		t.Fatal(err)
	}
	speed := engineSpeed{best: 400 * time.Millisecond, rounds: 1}
	if c := speed.choice(); c.Period != slowHeartbeat {
		t.Fatalf("a 400 ms engine: %+v", c)
	}
	var said []string
	say := func(s string) { said = append(said, s) }
	if err := recheckHeartbeat(ctx, mgr, &speed, say); err != nil {
		t.Fatal(err)
	}
	c := mgr.choice(t)
	if c.Period != DefaultHeartbeat || c.By != lab.HeartbeatBySwarmlab || !strings.Contains(c.Why, "best median of 2 round(s)") {
		t.Errorf("after a fast round: %+v", c)
	}
	if len(said) != 1 || !strings.Contains(said[0], "from 5s to 2s") {
		t.Errorf("said %q", said)
	}
	// Fast again: nothing to change, nothing written.
	updates := mgr.updates
	if err := recheckHeartbeat(ctx, mgr, &speed, say); err != nil {
		t.Fatal(err)
	}
	if mgr.updates != updates || len(said) != 1 {
		t.Errorf("an unchanged heartbeat was written again (%d updates) or said: %q", mgr.updates-updates, said)
	}

	given := &heartbeatSwarm{active: true}
	if err := writeHeartbeat(ctx, given, lab.HeartbeatChoice{Period: 7 * time.Second, By: lab.HeartbeatByUser, Why: "given"}); err != nil {
		t.Fatal(err)
	}
	if err := recheckHeartbeat(ctx, given, &engineSpeed{}, say); err != nil {
		t.Fatal(err)
	}
	if c := given.choice(t); c.Period != 7*time.Second || c.By != lab.HeartbeatByUser || given.infos != 0 {
		t.Errorf("a given heartbeat: %+v, %d Info calls", c, given.infos)
	}
}

// A node that flaps while the nodes join doubles a heartbeat up chose, up
// to maxHeartbeat, and says why on the swarm; a heartbeat the user gave is
// left alone.
func TestBackOffHeartbeat(t *testing.T) {
	t.Parallel()
	l, out := testLab(t, newFake())
	mgr := &heartbeatSwarm{}
	mgr.spec.Dispatcher.HeartbeatPeriod = 5 * time.Second
	u := &upContext{lab: l, engine: l.Engine, status: l.Status, autoHeartbeat: 5 * time.Second}
	var got []time.Duration
	for range 3 {
		u.backOffHeartbeat(context.Background(), mgr, "worker01")
		got = append(got, mgr.spec.Dispatcher.HeartbeatPeriod)
	}
	if want := []time.Duration{10 * time.Second, maxHeartbeat, maxHeartbeat}; !slices.Equal(got, want) {
		t.Errorf("heartbeats %v, want %v", got, want)
	}
	if !strings.Contains(out.String(), "worker01 was Ready, then not: the swarm's heartbeat goes from 5s to 10s") {
		t.Errorf("output:\n%s", out)
	}
	if c := mgr.choice(t); c.By != lab.HeartbeatBySwarmlab || !strings.Contains(c.Why, "worker01 was Ready, then not") || !u.flapped {
		t.Errorf("after a flap: %+v, flapped %v", c, u.flapped)
	}

	given := &upContext{lab: l, engine: l.Engine, status: l.Status}
	given.askedHeartbeat = 3 * time.Second
	if hb := given.heartbeat(context.Background(), mgr); hb.Period != 3*time.Second || hb.By != lab.HeartbeatByUser || given.autoHeartbeat != 0 {
		t.Errorf("--heartbeat 3s: chose %+v, auto %s", hb, given.autoHeartbeat)
	}
}
