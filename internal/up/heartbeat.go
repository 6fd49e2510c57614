package up

// The swarm's dispatcher heartbeat: up chooses it from how fast the
// manager's engine answers, checks it again once every node is Ready, start
// checks it again, and the choice and its reason stay on the swarm's spec,
// where status reads them.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// Heartbeats up chooses from. Swarm marks a node Down after about three
// missed heartbeats, and a killed worker's replicas run elsewhere about a
// second later: 2 s brings them back within 8 s. A busy machine makes the
// engine slow for a moment (150-550 ms for Info on 2 cores at load 20), an
// emulated VM makes it slow all the time (350 ms at best): only an engine
// slow in every round of calls gets the longer heartbeat, and a node that
// flaps while up waits backs it off (backOffHeartbeat).
const (
	DefaultHeartbeat = 2 * time.Second        // a laptop, CI, a busy machine
	slowHeartbeat    = 5 * time.Second        // swarm's own default: an emulated machine
	maxHeartbeat     = 20 * time.Second       // what a flap backs off to at most
	slowEngine       = 300 * time.Millisecond // the best median of Info calls above which the engine is slow
	callsPerRound    = 5
)

func heartbeatFor(rtt time.Duration) time.Duration {
	if rtt < slowEngine {
		return DefaultHeartbeat
	}
	return slowHeartbeat
}

// engineSpeed is how fast an engine answers: the best median of the rounds
// of calls taken so far, at different moments, so that one busy moment does
// not choose a slow failover for the lab's whole life.
type engineSpeed struct {
	best   time.Duration
	rounds int
}

// sample times one round of Info calls.
func (s *engineSpeed) sample(ctx context.Context, cl docker.Swarm) error {
	rtt, err := roundTrip(ctx, cl, callsPerRound)
	if err != nil {
		return fmt.Errorf("time the manager's engine: %w", err)
	}
	if s.rounds == 0 || rtt < s.best {
		s.best = rtt
	}
	s.rounds++
	return nil
}

// choice is the heartbeat the rounds so far ask for, and why.
func (s *engineSpeed) choice() lab.HeartbeatChoice {
	if s.rounds == 0 {
		return lab.HeartbeatChoice{Period: DefaultHeartbeat, By: lab.HeartbeatBySwarmlab, Why: "the default: the manager's engine could not be timed"}
	}
	hb := heartbeatFor(s.best)
	kind := "a fast engine"
	if hb != DefaultHeartbeat {
		kind = "a slow engine (an emulated machine?)"
	}
	return lab.HeartbeatChoice{Period: hb, By: lab.HeartbeatBySwarmlab, Why: fmt.Sprintf(
		"the manager's engine answered in %s (the best median of %d round(s) of %d calls): %s",
		s.best.Round(time.Millisecond), s.rounds, callsPerRound, kind)}
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

// heartbeatLabels puts c on the swarm spec's labels into.
func heartbeatLabels(c lab.HeartbeatChoice, into map[string]string) map[string]string {
	if into == nil {
		into = map[string]string{}
	}
	into[lab.LabelHeartbeatBy] = c.By
	into[lab.LabelHeartbeatWhy] = c.Why
	return into
}

// writeHeartbeat sets the swarm's heartbeat and its reason, when they differ.
func writeHeartbeat(ctx context.Context, cl docker.Swarm, c lab.HeartbeatChoice) error {
	sw, err := cl.SwarmInspect(ctx)
	if err != nil {
		return err
	}
	labels := heartbeatLabels(c, maps.Clone(sw.Spec.Labels))
	if sw.Spec.Dispatcher.HeartbeatPeriod == c.Period && maps.Equal(labels, sw.Spec.Labels) {
		return nil
	}
	sw.Spec.Dispatcher.HeartbeatPeriod = c.Period
	sw.Spec.Labels = labels
	if err := cl.SwarmUpdate(ctx, sw.Version, sw.Spec, swarm.UpdateFlags{}); err != nil {
		return fmt.Errorf("set the swarm's heartbeat: %w", err)
	}
	return nil
}

// recheckHeartbeat times the engine once more and shortens a heartbeat
// swarmlab chose when the engine is faster now: a moment that was busy when
// it was chosen. It never lengthens one (only a flap does) and leaves one
// the user gave alone. It reports a change through say.
func recheckHeartbeat(ctx context.Context, cl docker.Swarm, speed *engineSpeed, say func(string)) error {
	cur, err := lab.ReadHeartbeat(ctx, cl)
	if err != nil {
		return err
	}
	if cur.By != lab.HeartbeatBySwarmlab {
		return nil
	}
	if err := speed.sample(ctx, cl); err != nil {
		return err
	}
	next := speed.choice()
	if next.Period >= cur.Period {
		return nil
	}
	if err := writeHeartbeat(ctx, cl, next); err != nil {
		return err
	}
	say(fmt.Sprintf("the swarm's heartbeat goes from %s to %s: %s", cur.Period, next.Period, next.Why))
	return nil
}

// RecheckHeartbeat is recheckHeartbeat on a running lab, for start.
func RecheckHeartbeat(ctx context.Context, l *lab.Lab) error {
	mgr, _, err := l.Manager(ctx)
	if err != nil {
		return err
	}
	defer mgr.Close()
	return recheckHeartbeat(ctx, mgr, &engineSpeed{}, func(s string) { l.Status.Infof("%s", s) })
}

// Start is the lab's Start with up's heartbeat re-check once the nodes are
// Ready: a heartbeat chosen at a busy moment need not last the lab's life.
func Start(ctx context.Context, l *lab.Lab) error {
	return l.Start(ctx, func(ctx context.Context) {
		if err := RecheckHeartbeat(ctx, l); err != nil {
			l.Log.Warn("checking the heartbeat again", "err", err)
		}
	})
}
