package up

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/stack"
)

// Options tune one Run.
type Options struct {
	Bare bool // stop once the swarm is formed
	// HandsOn stops once the nodes run, as after the handout's
	// 'docker-compose up -d', with a stack folder and a registry of the
	// hands-on lab's own (up_handson.go).
	HandsOn     bool
	Retain      bool   // keep what this run created when it fails
	ImageBinary string // static Linux swarmlab binary for the images; default this executable
}

// step is one named action of Run, shown as one status line.
type step struct {
	name string
	run  func(ctx context.Context) error
}

// upContext is what the steps of one Run share, as kind's ActionContext: the
// lab, and what earlier steps found or made for later ones. Steps are its
// methods; the lab's own methods are reached through lab, so the two never
// look alike.
type upContext struct {
	lab    *lab.Lab // its Config is read, never written
	engine docker.Engine
	status *cli.Status
	opts   Options

	ep             lab.Endpoints // the host ports this run publishes: the config's, or free ones (checkPorts)
	movable        lab.Ports     // the ports checkPorts may move when taken: the defaults
	askedHeartbeat time.Duration // the heartbeat asked for; 0 lets up choose one

	inv           lab.Inventory // what the engine holds of the lab; read again after the nodes start
	binPath       string        // the binary the images ship, and its digest
	binSum        string        //
	nodeImage     string        // the image the nodes run
	privileged    bool          // whether the engine grants --privileged
	init          bool          // whether nodes run under the engine's init, which reaps zombies
	subnet        netip.Prefix  // of the lab network
	stackDir      string        // mounted at /stack in the managers
	mgr           docker.Swarm  // the first manager's engine; see firstManager
	ipvs          *bool         // whether the nodes' kernel has IPVS; nil until deploy checks
	autoHeartbeat time.Duration // the heartbeat swarmlab chose, now or before; 0 when the user gave it
	speed         engineSpeed   // how fast the first manager's engine answered, over the rounds so far
	flapped       bool          // whether a node was Ready, then not, while up waited
	prePulled     chan struct{} // closed when the nodes' pulls of the app images end (startPrePull)

	mu      sync.Mutex
	created []func(context.Context) error // how to undo what this run made, newest last
}

// Run creates the lab, or repairs what is missing of it, and reports each
// step. On failure it removes what this run created, unless opts.Retain.
// It returns where the lab answers on the host, which may differ from the
// config's ports when those were taken (checkPorts).
func Run(ctx context.Context, l *lab.Lab, opts Options) (ep lab.Endpoints, err error) {
	if err := l.Config.Validate(); err != nil {
		return ep, cli.WithHint(err, "fix the flags or the config file")
	}
	u := &upContext{lab: l, engine: l.Engine, status: l.Status, opts: opts, ep: l.Config.Endpoints(), movable: lab.Defaults().Ports, askedHeartbeat: l.Config.Heartbeat}
	if opts.HandsOn {
		if err := prepareHandsOn(ctx, l, u); err != nil {
			return ep, err
		}
	}
	defer func() {
		if u.mgr != nil {
			u.mgr.Close()
		}
		if err != nil && !opts.Retain {
			u.undo(ctx)
		}
	}()
	for _, s := range u.steps() {
		l.Status.Start(s.name)
		if err := s.run(ctx); err != nil {
			l.Status.End(false)
			return u.ep, fmt.Errorf("%s: %w", strings.ToLower(s.name[:1])+s.name[1:], err)
		}
		l.Status.End(true)
	}
	return u.ep, nil
}

// steps lists what Run does, in order: the nodes (up_nodes.go), the swarm
// (up_swarm.go) and, unless bare, what is deployed on it (up_deploy.go). A
// hands-on lab stops after the nodes (up_handson.go). Work that does not
// wait on the step before it shares a step with it (together), and the
// app images are pulled on the nodes while the swarm forms (prePull).
func (u *upContext) steps() []step {
	engines := step{"Waiting for the nodes' Docker engines", u.enginesAnswer}
	switch {
	case u.opts.HandsOn:
		engines = together("Waiting for the nodes' Docker engines, writing the stack files", u.enginesAnswer, u.writeStacks, u.tagHandout)
	case !u.opts.Bare:
		engines = together("Waiting for the nodes' Docker engines, pushing images to the registry", u.enginesAnswer, u.pushImages, u.checkIPVS)
	}
	steps := []step{
		{"Checking the Docker engine", u.checkEngine},
		{"Checking host ports", u.checkPorts},
		together("Preparing the node image, building swarmlab images", u.prepareNodeImage, u.buildImages),
		{"Creating network " + u.lab.Config.NetworkName(), u.createNetwork},
		together("Starting the registry and the nodes", u.startRegistry, u.startNodes).then(u.readInventory),
		engines,
	}
	if u.opts.HandsOn {
		return steps
	}
	// Initialising the swarm times the manager's engine to choose the
	// heartbeat: the pulls start after it, so that they do not slow it.
	steps = append(steps, step{"Initialising the swarm", u.initSwarm})
	if !u.opts.Bare {
		steps = append(steps, step{"Pulling the app images on the nodes", u.startPrePull})
	}
	steps = append(steps, []step{
		{"Joining nodes to the swarm", u.joinNodes},
		{"Waiting for every node to be Ready", u.nodesReady},
	}...)
	if u.lab.Config.Managers > 1 {
		steps = append(steps, step{"Starting the edge forwarder to the managers", u.startEdge})
	}
	if u.opts.Bare {
		return steps
	}
	steps = append(steps, step{"Creating overlay network " + lab.OverlayNetwork, u.createOverlay})
	names := make([]string, len(stack.Stacks))
	for i, s := range stack.Stacks {
		names[i] = s.Name
	}
	steps = append(steps, step{"Deploying stacks " + strings.Join(names, ", "), u.deployAll})
	for _, s := range stack.Stacks {
		steps = append(steps, step{"Waiting for stack " + s.Name, func(ctx context.Context) error { return u.waitDeployed(ctx, s.Name) }})
	}
	return append(steps, step{"Checking the ingress", func(ctx context.Context) error { return lab.WaitIngress(ctx, u.ep, u.status.Progress) }})
}

// together is one step that runs independent work at once, under one
// status line: each part reads what earlier steps set and writes fields no
// other part reads. The first error cancels the others.
func together(name string, parts ...func(context.Context) error) step {
	return step{name, func(ctx context.Context) error {
		g, ctx := errgroup.WithContext(ctx)
		for _, p := range parts {
			g.Go(func() error { return p(ctx) })
		}
		return g.Wait()
	}}
}

// then runs f after the step's own work, as part of it.
func (s step) then(f func(context.Context) error) step {
	run := s.run
	s.run = func(ctx context.Context) error {
		if err := run(ctx); err != nil {
			return err
		}
		return f(ctx)
	}
	return s
}

// readInventory reads again what the engine holds of the lab, once the
// containers have started.
func (u *upContext) readInventory(ctx context.Context) (err error) {
	u.inv, err = u.lab.Inventory(ctx)
	return err
}

// madeHere records how to undo something this run created.
func (u *upContext) madeHere(undo func(context.Context) error) {
	u.mu.Lock()
	u.created = append(u.created, undo)
	u.mu.Unlock()
}

// undo removes what this run created, newest first, with a deadline of its
// own: the run's context may be what was cancelled.
func (u *upContext) undo(ctx context.Context) {
	if len(u.created) == 0 {
		return
	}
	u.status.Start("Removing what this run created (keep it with --retain)")
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	ok := true
	for i := len(u.created) - 1; i >= 0; i-- {
		if err := u.created[i](ctx); err != nil {
			u.lab.Log.Warn("cleanup", "err", err)
			ok = false
		}
	}
	u.status.End(ok)
}

// firstManager returns a client to the first manager's engine, where the
// swarm is initialised; every swarm step of one run shares it.
func (u *upContext) firstManager() (docker.Swarm, error) {
	if u.mgr == nil {
		cl, err := u.lab.NodeClient(u.containerOf(u.lab.Config.Nodes()[0].Name))
		if err != nil {
			return nil, err
		}
		u.mgr = cl
	}
	return u.mgr, nil
}

// containerOf is the ID of a node's container, as of the last inventory.
func (u *upContext) containerOf(node string) string { return u.inv.Containers[node].ID }
