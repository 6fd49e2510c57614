package chaos

// The scenarios of chaos: what is done to the lab, to which node or
// service, and the run that frames it with the request loop and the
// timeline.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// Scenario is what chaos does to the lab.
type Scenario string

// The scenarios.
const (
	ScenarioStop   Scenario = "stop"   // docker stop of a node: its engine stops its tasks first
	ScenarioKill   Scenario = "kill"   // SIGKILL of a node: the power-loss case
	ScenarioDrain  Scenario = "drain"  // docker node update --availability drain
	ScenarioUpdate Scenario = "update" // docker service update --force: a rolling update
)

// Update orders, as in a stack file's deploy.update_config.order.
const (
	OrderStopFirst  = "stop-first"
	OrderStartFirst = "start-first"
)

// Options say what Chaos does.
type Options struct {
	Scenario Scenario
	Node     string // the node to stop, kill or drain
	Leader   bool   // stop or kill the Raft Leader instead of Node
	Service  string // the service to update: its name, or the demo's api or nginx
	Order    string // for an update: set this update order first; "" keeps the service's
	Force    bool   // stop or kill even the only running manager
	NoLoop   bool   // no request loop: only the swarm's convergence matters ('tutorial goto')
	// Timeout bounds the wait for the swarm to converge after the event.
	Timeout time.Duration
}

// Validate reports options that make no scenario; its hints name the lab
// of cfg.
func (o Options) Validate(cfg lab.Config) error {
	switch o.Scenario {
	case ScenarioStop, ScenarioKill:
		if o.Node == "" && !o.Leader {
			return cli.WithHint(fmt.Errorf("name the node to %s", o.Scenario), cfg.Swarmlab("chaos worker01"))
		}
	case ScenarioDrain:
		if o.Node == "" || o.Leader {
			return cli.WithHint(errors.New("name the node to drain"), cfg.Swarmlab("chaos --drain worker01"))
		}
	case ScenarioUpdate:
		if o.Service == "" {
			return cli.WithHint(errors.New("name the service to update"), cfg.Swarmlab("chaos --update swtest_api"))
		}
	default:
		return fmt.Errorf("unknown scenario %q", o.Scenario)
	}
	if o.Order != "" && (o.Scenario != ScenarioUpdate || o.Order != OrderStartFirst && o.Order != OrderStopFirst) {
		return cli.WithHint(errors.New("--order is start-first or stop-first, with --update"), cfg.Swarmlab("chaos --update swtest_api --order start-first"))
	}
	return nil
}

// Chaos does what o says to the lab while a request loop runs through the
// ingress, and follows the swarm through a manager until it has converged,
// calling report for each event as it happens. It leaves the lab as the
// event left it: a node stopped or drained stays so.
func Run(ctx context.Context, l *lab.Lab, o Options, report func(Event)) (Failover, error) {
	f := Failover{Scenario: o.Scenario, Node: o.Node}
	if err := o.Validate(l.Config); err != nil {
		return f, err
	}
	inv, err := l.Inventory(ctx)
	if err != nil {
		return f, err
	}
	ep, err := l.EndpointsOf(ctx, inv)
	if err != nil {
		return f, err
	}
	if o.Leader {
		if o.Node, err = leader(ctx, l, inv); err != nil {
			return f, err
		}
		f.Node = o.Node
	}
	// Watch through a manager that stays up.
	skip := ""
	if o.Scenario == ScenarioStop || o.Scenario == ScenarioKill {
		skip = o.Node
	}
	mgr, mgrName, err := l.ManagerExcept(ctx, inv, skip)
	if err != nil {
		return f, cli.WithHint(err, "with one manager nothing reschedules; try a worker, or "+l.Config.Cmd("up --managers 3"))
	}
	defer mgr.Close()
	before, err := readSwarm(ctx, mgr)
	if err != nil {
		return f, err
	}
	nodeID, serviceID, err := resolveTarget(l.Config, o, before, &f)
	if err != nil {
		return f, err
	}
	o.Service = f.Service
	// The event starts at t0, once the loop has run loopBefore.
	tl := &timeline{t0: time.Now(), report: report}
	do := actionFor(l, o, inv.Containers[mgrName].ID, tl.now)
	url := ""
	if ep.Ports.Ingress != 0 && !o.NoLoop {
		tl.t0 = tl.t0.Add(loopBefore)
		url = ep.URL(ep.Ports.Ingress) + "/api/info"
		tl.now(fmt.Sprintf("request loop: GET %s, %d clients, %s timeout", url, loopClients, loopTimeout))
	}
	if f.Update != nil {
		tl.now(fmt.Sprintf("%s update_config: %s", f.Service, f.Update))
	}
	var loop *requestLoop
	if url != "" {
		loop = startLoop(ctx, url, tl.t0, tl.at)
	}
	w := newWatcher(o, nodeID, serviceID, tl.t0, before, &f, tl)
	acted := make(chan error, 1)
	go func() { acted <- do.run(ctx) }()
	tl.now(do.what)

	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	views := readEvery(wctx, mgr, 200*time.Millisecond, 2*time.Second)
	var actErr error
	err = func() error {
		for {
			select {
			case actErr = <-acted:
				acted = nil
				if actErr != nil {
					return actErr
				}
				if do.done != "" {
					tl.now(do.done)
				}
			case r := <-views:
				if r.err != nil {
					continue // the manager may be busy, or electing a Leader; the next read tries again
				}
				if ok, err := w.observe(r.v, r.at); err != nil || ok {
					return err
				}
			case <-wctx.Done():
				return wctx.Err()
			}
		}
	}()
	if loop != nil {
		f.Loop, f.Errors = loop.finish(f.Restored, err == nil)
		for _, p := range []Phase{f.Loop.Before, f.Loop.During, f.Loop.After} {
			f.Requests += p.Requests
			f.Failed += p.Failed
		}
	}
	f.Events = tl.list()
	switch {
	case actErr != nil:
		return f, actErr
	case err != nil:
		return f, fmt.Errorf("the swarm did not converge: %w", err)
	}
	return f, nil
}

// swarmRead is one read of the swarm and when it ended.
type swarmRead struct {
	v   swarmView
	err error
	at  time.Time
}

// readEvery reads the swarm again and again, interval after each read ends,
// one read at a time. A read is cut short only when it takes far longer than
// the reads before it (4× their average, at least minCut): a manager whose
// connection to a stopped Leader hangs answers again once it gives that up,
// so such a read is better cut; but a cut closes the connection, and each
// new connection to a node is an exec there, which a loaded machine can
// least afford, so a machine where every read is slow is left to answer.
func readEvery(ctx context.Context, mgr docker.Swarm, interval, minCut time.Duration) <-chan swarmRead {
	out := make(chan swarmRead)
	go func() {
		var avg time.Duration // of the reads that answered
		answered := false
		for {
			rctx, cancel := ctx, context.CancelFunc(func() {})
			if answered {
				rctx, cancel = context.WithTimeout(ctx, max(minCut, 4*avg))
			}
			start := time.Now()
			v, err := readSwarm(rctx, mgr)
			cancel()
			if took := time.Since(start); err == nil && !answered {
				avg, answered = took, true
			} else if err == nil {
				avg = avg - avg/4 + took/4
			}
			select {
			case out <- swarmRead{v, err, time.Now()}:
			case <-ctx.Done():
				return
			}
			select {
			case <-time.After(interval):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// leader returns the Raft Leader's hostname, in a swarm that can elect
// another one.
func leader(ctx context.Context, l *lab.Lab, inv lab.Inventory) (string, error) {
	mgr, _, err := l.ManagerFrom(ctx, inv)
	if err != nil {
		return "", err
	}
	defer mgr.Close()
	nodes, err := mgr.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return "", err
	}
	managers, leader := 0, ""
	for _, n := range nodes {
		if n.ManagerStatus != nil {
			managers++
			if n.ManagerStatus.Leader {
				leader = n.Description.Hostname
			}
		}
	}
	if managers < 3 || leader == "" {
		return "", cli.WithHint(fmt.Errorf("the swarm has %d manager(s): without the Leader, fewer than 2 are left to elect another one", managers), "swarmlab --name ha up --managers 3 --heartbeat 5s (a lab of its own; it picks free host ports)")
	}
	return leader, nil
}

// resolveTarget finds the node or service o names in v, checks that the
// event can happen to it, and records what the report needs in f.
func resolveTarget(cfg lab.Config, o Options, v swarmView, f *Failover) (nodeID, serviceID string, err error) {
	if o.Scenario == ScenarioUpdate {
		var names []string
		for _, s := range v.svcs {
			names = append(names, s.Spec.Name)
			if s.Spec.Name == o.Service || s.Spec.Name == "swtest_"+o.Service {
				p := updatePolicy(s.Spec.UpdateConfig)
				if o.Order != "" {
					p.Order = o.Order
				}
				f.Service, f.Update = s.Spec.Name, &p
				return "", s.ID, nil
			}
		}
		slices.Sort(names)
		return "", "", cli.WithHint(fmt.Errorf("no service %q in the swarm", o.Service), "services are: "+strings.Join(names, ", "))
	}
	for _, n := range v.nodes {
		if n.Description.Hostname != o.Node || n.Status.State != swarm.NodeStateReady {
			continue
		}
		f.WasLeader = n.ManagerStatus != nil && n.ManagerStatus.Leader
		if o.Scenario == ScenarioDrain && n.Spec.Availability != swarm.NodeAvailabilityActive {
			return "", "", cli.WithHint(fmt.Errorf("%s is already %s", o.Node, n.Spec.Availability), cfg.Swarmlab("docker node update --availability active "+o.Node))
		}
		return n.ID, "", nil
	}
	return "", "", cli.WithHint(fmt.Errorf("%s is not a Ready node of the swarm", o.Node), cfg.Cmd("status")+" lists the nodes; "+cfg.Cmd("node start NODE")+" brings one back")
}

// action is the event itself: what it does, and the timeline's words for
// its start and, when they say more than the swarm will, its end.
type action struct {
	what, done string
	run        func(context.Context) error
}

// action returns the event of o. The docker commands run in the manager
// container mid, and the timeline quotes them as a learner would type them;
// warn adds a line to it.
func actionFor(l *lab.Lab, o Options, mid string, warn func(string)) action {
	inManager := func(cmd ...string) func(context.Context) error {
		return func(ctx context.Context) error {
			res, err := docker.Exec(ctx, l.Engine, mid, cmd, nil)
			if err == nil {
				err = res.Err(cmd)
			}
			return err
		}
	}
	node, leader := o.Node, ""
	if o.Leader {
		leader = ", the Leader"
	}
	switch o.Scenario {
	case ScenarioKill:
		return action{"killing " + node + leader + " (network cut, then SIGKILL: as in a power loss)", node + " container killed",
			func(ctx context.Context) error { return l.NodeKill(ctx, node, o.Force, warn) }}
	case ScenarioDrain:
		return action{"docker node update --availability drain " + node, "manager set " + node + " to drain: its tasks move",
			inManager("docker", "node", "update", "--availability", "drain", node)}
	case ScenarioUpdate:
		order := ""
		if o.Order != "" {
			order = " --update-order " + o.Order
		}
		shown := "docker service update --force" + order + " " + o.Service
		// --detach: the timeline, not the command, follows the update.
		cmd := append([]string{"docker", "service", "update", "--detach", "--quiet"}, strings.Fields(shown)[3:]...)
		return action{shown, "", inManager(cmd...)}
	}
	return action{"stopping " + node + leader + " (docker stop: its engine stops its tasks first)", node + " container stopped",
		func(ctx context.Context) error { return l.NodeStop(ctx, node, o.Force) }}
}
