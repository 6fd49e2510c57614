package lab

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/docker"
)

func TestHeartbeatFor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rtt  time.Duration
		want time.Duration
	}{
		{0, DefaultHeartbeat},
		{10 * time.Millisecond, DefaultHeartbeat},
		{100 * time.Millisecond, 5 * time.Second},
		{time.Second, 10 * time.Second},
	} {
		if got := heartbeatFor(tt.rtt); got != tt.want {
			t.Errorf("heartbeatFor(%s) = %s, want %s", tt.rtt, got, tt.want)
		}
	}
}

// heartbeatSwarm keeps a swarm's spec, as SwarmInspect and SwarmUpdate see it.
type heartbeatSwarm struct {
	docker.Swarm
	spec swarm.Spec
}

func (h *heartbeatSwarm) SwarmInspect(context.Context) (swarm.Swarm, error) {
	var sw swarm.Swarm
	sw.Spec = h.spec
	return sw, nil
}

func (h *heartbeatSwarm) SwarmUpdate(_ context.Context, _ swarm.Version, spec swarm.Spec, _ swarm.UpdateFlags) error {
	h.spec = spec
	return nil
}

// A node that flaps while the nodes join doubles a heartbeat up chose, up
// to maxHeartbeat; a heartbeat the user gave is left alone.
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

	given := &upContext{lab: l, engine: l.Engine, status: l.Status}
	given.askedHeartbeat = 3 * time.Second
	if hb := given.heartbeat(context.Background(), mgr); hb != 3*time.Second || given.autoHeartbeat != 0 {
		t.Errorf("--heartbeat 3s: chose %s, auto %s", hb, given.autoHeartbeat)
	}
}
