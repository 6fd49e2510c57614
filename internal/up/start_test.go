package up

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// readySwarm is a running swarm whose nodes are all Ready and which runs
// no service, so that start has nothing to wait for but the heartbeat.
type readySwarm struct {
	*heartbeatSwarm
	nodes []swarm.Node
}

func (r readySwarm) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	return r.nodes, nil
}

func (readySwarm) ServiceList(context.Context, swarm.ServiceListOptions) ([]swarm.Service, error) {
	return nil, nil
}

func (readySwarm) TaskList(context.Context, swarm.TaskListOptions) ([]swarm.Task, error) {
	return nil, nil
}

func (readySwarm) Close() error { return nil }

// up.Start is the lab's start with the heartbeat checked again once the
// nodes are Ready: one swarmlab chose at a busy moment is shortened when
// the engine answers fast now; plain lab.Start leaves it alone.
func TestStartRechecksTheHeartbeat(t *testing.T) {
	for _, withUp := range []bool{true, false} {
		fake := newFake()
		l, out := testLab(t, fake)
		mgr := readySwarm{heartbeatSwarm: &heartbeatSwarm{active: true}}
		for _, n := range l.Config.Nodes() {
			fake.Add(l.Config.ContainerName(n.Name), container.StateRunning, map[string]string{lab.LabelLab: l.Config.Name, lab.LabelRole: n.Role, lab.LabelNode: n.Name}, nil)
			var sn swarm.Node
			sn.ID, sn.Description.Hostname, sn.Status.State = n.Name, n.Name, swarm.NodeStateReady
			mgr.nodes = append(mgr.nodes, sn)
		}
		l.NodeClient = func(string) (docker.Swarm, error) { return mgr, nil }
		busy := lab.HeartbeatChoice{Period: slowHeartbeat, By: lab.HeartbeatBySwarmlab, Why: "busy"}
		if err := writeHeartbeat(context.Background(), mgr, busy); err != nil {
			t.Fatal(err)
		}
		var err error
		if withUp {
			err = Start(context.Background(), l)
		} else {
			err = l.Start(context.Background(), nil)
		}
		if err != nil {
			t.Fatalf("up.Start %v: %v\n%s", withUp, err, out)
		}
		c := mgr.choice(t)
		if withUp && (c.Period != DefaultHeartbeat || !strings.Contains(out.String(), "heartbeat goes from 5s to 2s")) {
			t.Errorf("up.Start left the heartbeat at %+v:\n%s", c, out)
		}
		if !withUp && c.Period != 5*time.Second {
			t.Errorf("lab.Start without the re-check changed the heartbeat: %+v", c)
		}
	}
}
