package chaos

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/probe"
)

// Failover is what Chaos saw. Its JSON field names are stable; durations
// are nanoseconds.
type Failover struct {
	Scenario    Scenario      `json:"scenario"`
	Node        string        `json:"node,omitempty"`
	WasLeader   bool          `json:"wasLeader,omitempty"`
	Service     string        `json:"service,omitempty"` // the service updated
	Update      *UpdatePolicy `json:"update,omitempty"`  // its update_config, as the update used it
	Events      []Event       `json:"events"`
	NodeDown    time.Duration `json:"nodeDown"`            // until the manager recorded the node Down
	Restored    time.Duration `json:"restored"`            // until the swarm had converged: the end of the event
	Requests    int           `json:"requests"`            // sent to the ingress meanwhile
	Failed      int           `json:"failed"`              // of those
	Rescheduled int           `json:"rescheduled"`         // tasks started since the event
	Errors      []string      `json:"errors,omitempty"`    // the first failed requests' errors
	NewLeader   string        `json:"newLeader,omitempty"` // when the node stopped was the Leader
	Loop        Loop          `json:"loop"`
}

func (f Failover) String() string {
	var s string
	switch f.Scenario {
	case ScenarioDrain:
		s = fmt.Sprintf("%s drained: %d tasks started elsewhere; all replicas back after %.1fs", f.Node, f.Rescheduled, f.Restored.Seconds())
	case ScenarioUpdate:
		s = fmt.Sprintf("%s updated %s: %d tasks replaced in %.1fs", f.Service, f.Update.Order, f.Rescheduled, f.Restored.Seconds())
	default:
		s = fmt.Sprintf("%s Down after %.1fs; %d tasks rescheduled; all replicas back after %.1fs", f.Node, f.NodeDown.Seconds(), f.Rescheduled, f.Restored.Seconds())
	}
	if f.NewLeader != "" {
		s += "; new Leader " + f.NewLeader
	}
	if f.Loop.URL == "" {
		return s
	}
	return s + fmt.Sprintf("; %d of %d requests through the ingress failed, p99 %s and max %s during the event",
		f.Failed, f.Requests, probe.Short(f.Loop.During.P99), probe.Short(f.Loop.During.Max))
}

// WriteTable writes the request loop's phases as a table.
func (f Failover) WriteTable(w io.Writer) {
	if f.Loop.URL == "" {
		fmt.Fprintln(w, "No request loop: the lab publishes no ingress port.")
		return
	}
	fmt.Fprintf(w, "Requests through the ingress (failed: an error, a 5xx, or no answer within %s):\n", f.Loop.Timeout)
	fmt.Fprintf(w, "  %-7s %6s %6s %9s %7s %8s %8s %8s\n", "phase", "from", "to", "requests", "failed", "p50", "p99", "max")
	for _, p := range []struct {
		name string
		Phase
	}{{"before", f.Loop.Before}, {"during", f.Loop.During}, {"after", f.Loop.After}} {
		fmt.Fprintf(w, "  %-7s %+5.1fs %+5.1fs %9d %7d %8s %8s %8s\n", p.name, p.From.Seconds(), p.To.Seconds(), p.Requests, p.Failed, probe.Short(p.P50), probe.Short(p.P99), probe.Short(p.Max))
	}
}

// UpdatePolicy is a service's update_config, swarm's defaults filled in.
type UpdatePolicy struct {
	Order         string        `json:"order"` // stop-first or start-first
	Parallelism   uint64        `json:"parallelism"`
	Delay         time.Duration `json:"delay"`
	Monitor       time.Duration `json:"monitor"`
	FailureAction string        `json:"failureAction"`
}

func updatePolicy(c *swarm.UpdateConfig) UpdatePolicy {
	p := UpdatePolicy{Order: OrderStopFirst, Parallelism: 1, Monitor: 5 * time.Second, FailureAction: swarm.UpdateFailureActionPause}
	if c == nil {
		return p
	}
	p.Parallelism, p.Delay = c.Parallelism, c.Delay
	if c.Order != "" {
		p.Order = c.Order
	}
	if c.Monitor > 0 {
		p.Monitor = c.Monitor
	}
	if c.FailureAction != "" {
		p.FailureAction = c.FailureAction
	}
	return p
}

func (p UpdatePolicy) String() string {
	par := fmt.Sprint(p.Parallelism)
	if p.Parallelism == 0 {
		par = "0 (all at once)"
	}
	return fmt.Sprintf("order %s, parallelism %s, delay %s, monitor %s, failure_action %s", p.Order, par, p.Delay, p.Monitor, p.FailureAction)
}

// Rebalance forces an update of every replicated service, so that swarm
// spreads tasks again over nodes that came back.
func Rebalance(ctx context.Context, l *lab.Lab) error {
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
