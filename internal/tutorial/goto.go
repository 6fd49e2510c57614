package tutorial

// Checkpoints: goto brings the lab to the state at the start of a step, doing
// for the learner what the steps before it leave in the lab and undoing what
// later steps left, with the lab's own operations (the same code as up's).

import (
	"context"
	"slices"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/lab"
	labup "github.com/swarmlab/swarmlab/internal/up"
)

// Target is what the lab holds at the start of a step: what the steps before
// it left. Steps that leave nothing (a look at 'docker node ls', a stop and
// start of the whole lab) are only recorded.
type Target struct {
	Swarm           bool
	Joined          []string // workers
	Tagged, Pushed  bool
	Pulled          bool
	API             int // replicas of the service api; 0: no such service
	Network         bool
	Stacks          []string
	Worker01Stopped bool
}

// TargetAt is the target at the start of steps[i].
func TargetAt(steps []Step, i int) Target {
	var t Target
	for _, s := range steps[:i] {
		if s.Effect != nil {
			s.Effect(&t)
		}
	}
	return t
}

// have is what the lab holds now, in the terms of a Target, and what goto
// cannot take back short of starting over.
type have struct {
	Target
	tagsAny, registryAny bool     // some tag, some image, even wrong ones
	strange              bool     // a worker that is a manager, or in another swarm
	networkWrong         bool     // swtest_net, but not an attachable overlay
	apiWrong             bool     // api, but not as the handout creates it
	stacksWrong          []string // deployed, but not running as their file says
	otherServices        []string // services of no step: removed
	otherStacks          []string // stacks of no step: removed
}

func haveOf(s *State, env Env) have {
	h := have{}
	h.Worker01Stopped = !s.Containers[env.worker01()].Running
	h.Swarm = s.Manager.SwarmState == "active" && s.Manager.IsManager
	for _, w := range env.Workers {
		n, ok := s.Swarm.Node(w)
		eng := s.Workers[w]
		switch {
		case ok && n.Role == "worker":
			h.Joined = append(h.Joined, w)
		case ok, eng.SwarmState != "" && eng.SwarmState != "inactive":
			h.strange = true
		}
	}
	e := &Eval{Env: env}
	h.Tagged = checkTag(s, e).Done
	h.Pushed = checkPush(s, e).Done
	cfg := lab.Config{Ports: env.Ports}
	for _, img := range lab.HandoutImages {
		for _, ref := range cfg.HostRegistryRefs(img.Repo) {
			h.tagsAny = h.tagsAny || s.HostImages[ref]
		}
	}
	h.tagsAny = h.tagsAny || len(wrongRegistryRefs(s, cfg)) > 0
	h.registryAny = len(s.Registry) > 0
	// A stopped worker01 hides its images; it is only stopped after the pull.
	w1 := s.Workers[env.worker01()]
	h.Pulled = w1.Images[apiImage+":latest"] || !w1.Reachable
	if api, ok := s.Swarm.Service("api"); ok {
		h.API = api.Replicas
		_, h.apiWrong = wrongAPI(api)
		h.apiWrong = h.apiWrong || !hasPort(api, 8000, 8080)
	}
	if n, ok := s.Swarm.Network(lab.OverlayNetwork); ok {
		h.Network = true
		h.networkWrong = n.Driver != "overlay" || !n.Attachable
	}
	if s.Swarm != nil {
		for _, svc := range s.Swarm.Services {
			switch {
			case svc.Stack == "" && svc.Name != "api":
				h.otherServices = append(h.otherServices, svc.Name)
			case svc.Stack == "":
			case slices.Contains([]string{"swtest", "visualizer", "ingress"}, svc.Stack):
				if !slices.Contains(h.Stacks, svc.Stack) {
					h.Stacks = append(h.Stacks, svc.Stack)
				}
			case !slices.Contains(h.otherStacks, svc.Stack):
				h.otherStacks = append(h.otherStacks, svc.Stack)
			}
		}
	}
	if slices.Contains(h.Stacks, "swtest") && !checkStackDeploy(s, e).Done && !h.Worker01Stopped {
		h.stacksWrong = append(h.stacksWrong, "swtest")
	}
	return h
}

// needsReset reports whether the lab holds what only starting over takes
// back: the swarm, joins, tags or images of steps after the target.
func (h have) needsReset(t Target) bool {
	for _, w := range h.Joined {
		if !slices.Contains(t.Joined, w) {
			return true
		}
	}
	return h.strange || h.Swarm && !t.Swarm || h.tagsAny && !t.Tagged || h.registryAny && !t.Pushed
}

// Reset starts the hands-on lab over: the lab is removed, registry data
// included, and made again as 'swarmlab up --hands-on' makes it.
func Reset(ctx context.Context, l *lab.Lab) error {
	if err := l.Down(ctx, true); err != nil {
		return err
	}
	_, err := labup.Run(ctx, l, labup.Options{HandsOn: true})
	return err
}

// Goto brings the lab to the start of the step id (a step id or number) and
// records the steps before it as done. A lab that is missing is made, and
// one that is stopped is started, first.
func Goto(ctx context.Context, l *lab.Lab, id string) error {
	r := NewReader(l)
	defer r.Close()
	// A step that does not exist is refused before the lab is touched.
	if _, err := Find(Steps(r.Env(&State{})), id); err != nil {
		return cli.WithHint(err, l.Config.Cmd("tutorial")+" lists the steps")
	}
	s, err := r.Read(ctx)
	if err != nil {
		return err
	}
	switch s.Lab {
	case LabAbsent, LabDown:
		_, err = labup.Run(ctx, l, labup.Options{HandsOn: true})
	case LabStopped, LabStarting:
		err = labup.Start(ctx, l)
	}
	if err != nil {
		return err
	}
	steps := Steps(r.Env(s))
	i, err := Find(steps, id)
	if err != nil {
		return cli.WithHint(err, l.Config.Cmd("tutorial")+" lists the steps")
	}
	t := TargetAt(steps, i)
	if s, err = r.Read(ctx); err != nil {
		return err
	}
	h := haveOf(s, r.Env(s))
	if h.needsReset(t) {
		l.Status.Infof("starting over: the lab holds steps from after %s that only a reset takes back", steps[i].ID)
		r.Close()
		if err := Reset(ctx, l); err != nil {
			return err
		}
		if s, err = r.Read(ctx); err != nil {
			return err
		}
		h = haveOf(s, r.Env(s))
	}
	g := &goer{l: l, r: r, env: r.Env(s)}
	if err := g.undo(ctx, h, t); err != nil {
		return err
	}
	if s, err = r.Read(ctx); err != nil {
		return err
	}
	if err := g.forward(ctx, haveOf(s, g.env), t); err != nil {
		return err
	}
	return g.record(ctx, i)
}
