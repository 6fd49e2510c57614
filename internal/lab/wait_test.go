package lab

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/docker"
)

// fakeManager lists nodes whose states advance one step per NodeList.
type fakeManager struct {
	docker.Swarm
	mu      sync.Mutex
	lists   [][]swarm.Node // what each NodeList answers; the last one repeats
	removed []string
}

func (m *fakeManager) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.lists[0]
	if len(m.lists) > 1 {
		m.lists = m.lists[1:]
	}
	return l, nil
}

func (m *fakeManager) NodeRemove(_ context.Context, id string, _ swarm.NodeRemoveOptions) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.removed = append(m.removed, id)
	return nil
}

func node(id, host string, state swarm.NodeState) swarm.Node {
	n := swarm.Node{ID: id}
	n.Description.Hostname, n.Status.State = host, state
	return n
}

func TestWaitNodesReadyDropsTheEntriesOfRejoinedNodes(t *testing.T) {
	t.Parallel()
	mgr := &fakeManager{lists: [][]swarm.Node{
		{node("m", "manager", swarm.NodeStateReady), node("old", "worker01", swarm.NodeStateDown)},
		{node("m", "manager", swarm.NodeStateReady), node("old", "worker01", swarm.NodeStateDown), node("new", "worker01", swarm.NodeStateReady)},
	}}
	var progress []string
	err := waitNodesReady(context.Background(), mgr, []string{"manager", "worker01"}, 5*time.Second, func(s string) { progress = append(progress, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(mgr.removed) != 1 || mgr.removed[0] != "old" {
		t.Errorf("removed %v, want the Down entry of the rejoined worker01", mgr.removed)
	}
	if progress[0] != "1/2 Ready" || progress[len(progress)-1] != "2/2 Ready" {
		t.Errorf("progress = %v", progress)
	}
}

func TestWaitNodesReadyTimesOutSayingHowFar(t *testing.T) {
	t.Parallel()
	mgr := &fakeManager{lists: [][]swarm.Node{{node("m", "manager", swarm.NodeStateReady), node("w", "worker01", swarm.NodeStateDown)}}}
	err := waitNodesReady(context.Background(), mgr, []string{"manager", "worker01"}, 300*time.Millisecond, func(string) {})
	if err == nil || err.Error() != "nodes not Ready (1/2 Ready): context deadline exceeded" {
		t.Fatalf("err = %v", err)
	}
}
