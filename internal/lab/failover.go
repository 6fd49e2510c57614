package lab

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/probe"
)

// Event is one line of a failover timeline.
type Event struct {
	At   time.Duration `json:"at"` // since the node was stopped
	What string        `json:"what"`
}

// Failover is what Watch saw after a node stopped.
type Failover struct {
	Node        string        `json:"node"`
	Events      []Event       `json:"events"`
	NodeDown    time.Duration `json:"nodeDown"`            // until the manager recorded the node Down
	Restored    time.Duration `json:"restored"`            // until every service ran its desired tasks again
	Requests    int           `json:"requests"`            // sent to the ingress meanwhile
	Failed      int           `json:"failed"`              // of those
	Rescheduled int           `json:"rescheduled"`         // tasks started elsewhere
	Errors      []string      `json:"errors,omitempty"`    // the first failed requests' errors
	NewLeader   string        `json:"newLeader,omitempty"` // when the node stopped was the Leader
}

func (f Failover) String() string {
	return fmt.Sprintf("%s Down after %.1fs; %d tasks rescheduled; all replicas back after %.1fs; %d of %d requests through the ingress failed",
		f.Node, f.NodeDown.Seconds(), f.Rescheduled, f.Restored.Seconds(), f.Failed, f.Requests)
}

// StopAndWatch stops a node and follows the swarm until it has converged,
// calling report for each event while a light request loop runs against the
// ingress. It does not start the node again.
func (l *Lab) StopAndWatch(ctx context.Context, node string, force bool, timeout time.Duration, report func(Event)) (Failover, error) {
	f := Failover{Node: node}
	_ = l.Discover(ctx)
	inv, err := l.Inventory(ctx)
	if err != nil {
		return f, err
	}
	// Watch through a manager that stays up.
	mgr, _, err := l.managerExcept(ctx, inv, node)
	if err != nil {
		return f, cli.WithHint(err, "with one manager nothing reschedules; try a worker, or 'swarmlab up --managers 3'")
	}
	defer mgr.Close()
	nodes, err := mgr.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return f, err
	}
	nodeID, wasLeader := "", false
	for _, n := range nodes {
		if n.Description.Hostname == node && n.Status.State == swarm.NodeStateReady {
			nodeID = n.ID
			wasLeader = n.ManagerStatus != nil && n.ManagerStatus.Leader
		}
	}
	if nodeID == "" {
		return f, fmt.Errorf("%s is not a Ready node of the swarm", node)
	}
	svcs, err := mgr.ServiceList(ctx, swarm.ServiceListOptions{})
	if err != nil {
		return f, err
	}
	svcNames := map[string]string{}
	for _, s := range svcs {
		svcNames[s.ID] = s.Spec.Name
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// A light loop through the ingress counts what users would have seen.
	var loop probe.Result
	loopCtx, stopLoop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if l.Config.Ports.Ingress != 0 {
		wg.Go(func() {
			loop, _ = probe.Run(loopCtx, probe.Options{URL: l.Config.URL(l.Config.Ports.Ingress) + "/api/info", Duration: timeout, Interval: 20 * time.Millisecond, Concurrency: 2, Timeout: 10 * time.Second})
		})
		time.Sleep(500 * time.Millisecond)
	}

	start := time.Now()
	emit := func(what string) {
		e := Event{At: time.Since(start).Round(100 * time.Millisecond), What: what}
		f.Events = append(f.Events, e)
		report(e)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- l.NodeStop(ctx, node, force) }()
	emit("stopping " + node)

	seen := map[string]bool{}
	var stopErr error
	stopDone := false
	err = poll(ctx, 200*time.Millisecond, func() (bool, error) {
		if !stopDone {
			select {
			case stopErr = <-stopped:
				stopDone = true
				if stopErr != nil {
					return false, stopErr
				}
				emit(node + " container stopped")
			default:
			}
		}
		all, err := mgr.NodeList(ctx, swarm.NodeListOptions{})
		if err != nil {
			return false, nil // the manager may be busy, or electing a Leader; try again
		}
		names := map[string]string{}
		for _, n := range all {
			names[n.ID] = n.Description.Hostname
			if wasLeader && f.NewLeader == "" && n.ID != nodeID && n.ManagerStatus != nil && n.ManagerStatus.Leader {
				f.NewLeader = n.Description.Hostname
				emit(f.NewLeader + " elected Leader")
			}
			if n.ID == nodeID && f.NodeDown == 0 && n.Status.State == swarm.NodeStateDown {
				f.NodeDown = time.Since(start)
				emit("manager recorded " + node + " Down")
			}
		}
		tasks, err := mgr.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("desired-state", "running"))})
		if err != nil {
			return false, nil
		}
		for _, t := range tasks {
			if t.NodeID == nodeID || seen[t.ID] || !t.CreatedAt.After(start) || t.Status.State != swarm.TaskStateRunning {
				continue
			}
			seen[t.ID] = true
			f.Rescheduled++
			emit(fmt.Sprintf("task %s.%d running on %s", svcNames[t.ServiceID], t.Slot, names[t.NodeID]))
		}
		if f.NodeDown == 0 {
			return false, nil
		}
		svcs, err := Services(ctx, mgr, "")
		if err != nil {
			return false, nil
		}
		for _, s := range svcs {
			if s.Running < s.Desired {
				return false, nil
			}
		}
		for _, t := range tasks {
			if t.NodeID == nodeID {
				return false, nil
			}
		}
		f.Restored = time.Since(start)
		emit("every service back at its desired replicas")
		return true, nil
	})
	// Keep the loop a moment longer: errors often trail convergence.
	if err == nil {
		time.Sleep(2 * time.Second)
	}
	stopLoop()
	wg.Wait()
	f.Requests, f.Failed, f.Errors = loop.Requests, loop.Failures, loop.Errors
	if err != nil {
		return f, fmt.Errorf("the swarm did not converge: %w", err)
	}
	return f, nil
}

// Rebalance forces an update of every replicated service, so that swarm
// spreads tasks again over nodes that came back.
func (l *Lab) Rebalance(ctx context.Context) error {
	mgr, name, err := l.Manager(ctx)
	if err != nil {
		return err
	}
	defer mgr.Close()
	mid, err := l.RunningContainer(ctx, name)
	if err != nil {
		return err
	}
	svcs, err := mgr.ServiceList(ctx, swarm.ServiceListOptions{})
	if err != nil {
		return err
	}
	sort.Slice(svcs, func(i, j int) bool { return svcs[i].Spec.Name < svcs[j].Spec.Name })
	for _, s := range svcs {
		if s.Spec.Mode.Replicated == nil {
			continue
		}
		l.Status.Start("Rebalancing " + s.Spec.Name)
		cmd := []string{"docker", "service", "update", "--force", "--detach=false", "--quiet", s.Spec.Name}
		res, err := docker.Exec(ctx, l.Engine, mid, cmd, nil)
		if err == nil {
			err = res.Err(cmd)
		}
		l.Status.End(err == nil)
		if err != nil {
			return err
		}
	}
	return nil
}
