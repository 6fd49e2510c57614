package tutorial

// What goto does to the lab: undo what later steps left, then do what the
// steps before the target leave, each as one status line.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/swarmlab/swarmlab/internal/chaos"
	"github.com/swarmlab/swarmlab/internal/lab"
	labup "github.com/swarmlab/swarmlab/internal/up"
)

type goer struct {
	l   *lab.Lab
	r   *Reader
	env Env
}

// do runs one operation as a status line.
func (g *goer) do(name string, f func() error) error {
	g.l.Status.Start(name)
	err := f()
	g.l.Status.End(err == nil)
	return err
}

func (g *goer) docker(ctx context.Context, node string, args ...string) error {
	_, err := g.l.NodeDocker(ctx, node, args...)
	return err
}

// undo takes back, newest first, what later steps left.
func (g *goer) undo(ctx context.Context, h have, t Target) error {
	w1 := g.env.worker01()
	if h.Worker01Stopped && !t.Worker01Stopped {
		if err := g.l.NodeStart(ctx, w1); err != nil {
			return err
		}
		if err := g.l.WaitReady(ctx, lab.ReadyPatience); err != nil {
			return err
		}
	}
	var services []string
	for _, st := range append(append([]string(nil), h.Stacks...), h.otherStacks...) {
		if !slices.Contains(t.Stacks, st) {
			services = append(services, g.stackServices(ctx, st)...)
		}
	}
	services = append(services, h.otherServices...)
	if h.API > 0 && (t.API == 0 || h.apiWrong) {
		services = append(services, "api")
	}
	if len(services) > 0 {
		if err := g.do("Removing services "+fmt.Sprint(services), func() error {
			return g.docker(ctx, "manager", append([]string{"service", "rm"}, services...)...)
		}); err != nil {
			return err
		}
	}
	var nets []string
	for _, st := range append(append([]string(nil), h.Stacks...), h.otherStacks...) {
		if !slices.Contains(t.Stacks, st) {
			nets = append(nets, st+"_default")
		}
	}
	if h.Network && (!t.Network || h.networkWrong) {
		nets = append(nets, lab.OverlayNetwork)
	}
	if len(nets) > 0 {
		if err := g.do("Removing networks", func() error { return g.removeNetworks(ctx, nets) }); err != nil {
			return err
		}
	}
	if h.Pulled && !t.Pulled {
		return g.do("Removing "+apiImage+":latest from "+w1, func() error {
			return g.docker(ctx, w1, "image", "rm", "-f", apiImage+":latest")
		})
	}
	return nil
}

// stackServices lists a stack's services, as the swarm names them.
func (g *goer) stackServices(ctx context.Context, stack string) []string {
	s, err := g.r.Read(ctx)
	if err != nil {
		return nil
	}
	var out []string
	for _, svc := range s.Swarm.StackServices(stack) {
		out = append(out, svc.Name)
	}
	return out
}

// removeNetworks removes networks once no task is attached any more, and
// waits until the swarm no longer lists them: removal is asynchronous, and a
// stack deployed meanwhile would find its old network, then lose it.
func (g *goer) removeNetworks(ctx context.Context, nets []string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for _, n := range nets {
		var err error
		for {
			s, rerr := g.r.Read(ctx)
			if rerr != nil {
				return rerr
			}
			if _, ok := s.Swarm.Network(n); !ok {
				break
			}
			err = g.docker(ctx, "manager", "network", "rm", n)
			select {
			case <-ctx.Done():
				return fmt.Errorf("remove network %s: %w", n, err)
			case <-time.After(300 * time.Millisecond):
			}
		}
	}
	return nil
}

// forward does, in the handout's order, what the steps before the target
// leave and the lab does not hold yet.
func (g *goer) forward(ctx context.Context, h have, t Target) error {
	l, w1 := g.l, g.env.worker01()
	var ops []struct {
		name string
		f    func() error
	}
	add := func(name string, f func() error) {
		ops = append(ops, struct {
			name string
			f    func() error
		}{name, f})
	}
	if t.Swarm && !h.Swarm {
		add("Initialising the swarm (docker swarm init)", func() error { return labup.InitSwarm(ctx, l) })
	}
	var joins []string
	for _, w := range t.Joined {
		if !slices.Contains(h.Joined, w) {
			joins = append(joins, w)
		}
	}
	if len(joins) > 0 {
		add(fmt.Sprintf("Joining %v to the swarm", joins), func() error { return labup.JoinWorkers(ctx, l, joins...) })
	}
	if t.Tagged && !h.Tagged {
		add("Tagging the images for the registry", func() error { return labup.TagHandout(ctx, l) })
	}
	if t.Pushed && !h.Pushed {
		add("Pushing the images to the registry", func() error {
			ep, err := l.Endpoints(ctx)
			if err != nil {
				return err
			}
			return l.PushImages(ctx, ep.Ports.Registry, lab.AppImages)
		})
	}
	if t.Pulled && !h.Pulled {
		add("Pulling the api image on "+w1, func() error { return g.docker(ctx, w1, "image", "pull", apiImage+":latest") })
	}
	if t.API > 0 && (h.API != t.API || h.apiWrong) {
		add(fmt.Sprintf("Running the service api with %d replicas", t.API), func() error { return g.api(ctx, h, t.API) })
	}
	if t.Network && (!h.Network || h.networkWrong) {
		add("Creating overlay network "+lab.OverlayNetwork, func() error { return labup.CreateOverlay(ctx, l) })
	}
	var stacks []string
	for _, st := range t.Stacks {
		if !slices.Contains(h.Stacks, st) || slices.Contains(h.stacksWrong, st) {
			stacks = append(stacks, st)
		}
	}
	if len(stacks) > 0 {
		add(fmt.Sprintf("Deploying stacks %v", stacks), func() error { return g.deploy(ctx, stacks) })
	}
	if t.Worker01Stopped && !h.Worker01Stopped {
		add("Stopping "+w1+" and waiting for its tasks to move", func() error {
			_, err := chaos.Run(ctx, l, chaos.Options{Scenario: chaos.ScenarioStop, Node: w1, NoLoop: true, Timeout: 3 * time.Minute}, func(chaos.Event) {})
			return err
		})
	}
	for _, op := range ops {
		if err := g.do(op.name, op.f); err != nil {
			return err
		}
	}
	return nil
}

// api creates the service api as the handout does, or scales it, and
// waits until it runs.
func (g *goer) api(ctx context.Context, h have, replicas int) error {
	n := strconv.Itoa(replicas)
	var err error
	if h.API == 0 || h.apiWrong {
		err = g.docker(ctx, "manager", "service", "create", "--detach", "--replicas", n, "--publish", "8000:8080", "--name", "api", apiImage+":latest")
	} else {
		err = g.docker(ctx, "manager", "service", "scale", "--detach", "api="+n)
	}
	if err != nil {
		return err
	}
	mgr, _, err := g.l.Manager(ctx)
	if err != nil {
		return err
	}
	defer mgr.Close()
	return lab.WaitStack(ctx, mgr, "", lab.StackPatience, g.l.Status.Progress)
}

// deploy deploys stacks, then waits until the visualizer and the app answer
// on the host, as the steps that deploy them check.
func (g *goer) deploy(ctx context.Context, stacks []string) error {
	if err := labup.DeployStacks(ctx, g.l, stacks...); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		s, err := g.r.Read(ctx)
		if err != nil {
			return err
		}
		e := &Eval{Env: g.env}
		viz := !slices.Contains(stacks, "visualizer") || checkVisualizer(s, e).Done
		app := !slices.Contains(stacks, "ingress") || checkIngress(s, e).Done
		if viz && app {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the visualizer or the app did not answer on the host: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// record publishes the steps before steps[i] as done, and none after.
func (g *goer) record(ctx context.Context, i int) error {
	s, err := g.r.Read(ctx)
	if err != nil {
		return err
	}
	env := g.r.Env(s)
	steps := Steps(env)
	s.Record = map[string]bool{}
	for _, st := range steps[:i] {
		s.Record[st.ID] = st.Check != nil
	}
	p := Evaluate(steps, env, s, English)
	p.At = time.Now()
	return g.r.Publish(ctx, p)
}
