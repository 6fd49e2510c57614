package lab

// What swarmlab records on the swarm's spec: the dispatcher heartbeat and who
// chose it why. Package up chooses it; status shows it.

import (
	"context"
	"time"

	"github.com/swarmlab/swarmlab/internal/docker"
)

// Labels on the swarm's spec: who chose the heartbeat, and why.
const (
	LabelHeartbeatBy  = "io.swarmlab.heartbeat.by"  // HeartbeatByUser or HeartbeatBySwarmlab
	LabelHeartbeatWhy = "io.swarmlab.heartbeat.why" // one sentence
)

// Who chose the swarm's heartbeat.
const (
	HeartbeatByUser     = "user"     // --heartbeat, or heartbeat in the config file
	HeartbeatBySwarmlab = "swarmlab" // measured; changed only by swarmlab
)

// HeartbeatChoice is the swarm's heartbeat, as its dispatcher settings
// hold it, and who chose it why, as the swarm's labels say.
type HeartbeatChoice struct {
	Period time.Duration `json:"period"`
	By     string        `json:"by,omitempty"` // empty for a swarm made before swarmlab recorded it
	Why    string        `json:"why,omitempty"`
}

// ReadHeartbeat reads the swarm's heartbeat and who chose it why.
func ReadHeartbeat(ctx context.Context, cl docker.Swarm) (HeartbeatChoice, error) {
	sw, err := cl.SwarmInspect(ctx)
	if err != nil {
		return HeartbeatChoice{}, err
	}
	return HeartbeatChoice{Period: sw.Spec.Dispatcher.HeartbeatPeriod, By: sw.Spec.Labels[LabelHeartbeatBy], Why: sw.Spec.Labels[LabelHeartbeatWhy]}, nil
}
