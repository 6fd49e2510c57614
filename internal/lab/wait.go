package lab

// Every wait of the lab, each written once: HTTP endpoints, the nodes'
// engines, Ready nodes and converged stacks. Each follows progress
// (follow.go) rather than a fixed clock.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/pkg/stdcopy"
	"golang.org/x/sync/errgroup"

	"github.com/swarmlab/swarmlab/internal/docker"
)

// Poll calls f every interval until it reports done, fails, or ctx ends.
// It is for short waits with a deadline of their own; the lab's long waits
// follow progress (follow.go).
func Poll(ctx context.Context, interval time.Duration, f func() (bool, error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		done, err := f()
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// httpClient bounds every request the lab makes to its own servers.
var httpClient = &http.Client{Timeout: 5 * time.Second}

// digits makes errors that differ only by a port or an address one mark.
var digits = regexp.MustCompile(`[0-9]+`)

// WaitHTTP waits until url answers 200. A new kind of answer (refused,
// then 503, then ...) is progress.
func WaitHTTP(ctx context.Context, url string, p Patience, progress func(string)) error {
	err := follow(ctx, wallClock{}, 200*time.Millisecond, p, progress, func(ctx context.Context) (sight, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := httpClient.Do(req)
		if err != nil {
			return sight{shown: url + " (" + err.Error() + ")", marks: []string{digits.ReplaceAllString(err.Error(), "")}}, nil
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return sight{shown: url + " (answered " + resp.Status + ")", marks: []string{resp.Status}}, nil
		}
		return sight{done: true, shown: url}, nil
	})
	if err != nil {
		return fmt.Errorf("%s did not answer: %w", url, err)
	}
	return nil
}

// WaitIngress waits until the ingress answers on its host port; a lab that
// does not publish it has nothing to wait for.
func WaitIngress(ctx context.Context, ep Endpoints, progress func(string)) error {
	if ep.Ports.Ingress == 0 {
		return nil
	}
	return WaitHTTP(ctx, ep.URL(ep.Ports.Ingress)+"/", HTTPPatience, progress)
}

// engineState is what waitNodeEngines waits for in a node's own engine.
type engineState struct {
	what    string // what the engine failed to do, for the error
	reached func(system.Info) bool
}

var (
	// engineAnswers: a node that was just created or started.
	engineAnswers = engineState{"answer", func(system.Info) bool { return true }}
	// swarmSettled: a manager that was restarted, before workers start. A
	// manager with a swarm answers once it runs it again (or is still
	// pending); one of a hands-on lab before 'docker swarm init' has none.
	swarmSettled = engineState{"run its swarm again", func(i system.Info) bool { return i.Swarm.LocalNodeState != swarm.LocalNodeStatePending }}
)

// WaitEnginesAnswer waits until the engine in each named node container
// answers, as after up creates or starts them (waitNodeEngines).
func (l *Lab) WaitEnginesAnswer(ctx context.Context, inv Inventory, nodes []string, p Patience, progress func(string)) error {
	return l.waitNodeEngines(ctx, inv, nodes, engineAnswers, p, progress)
}

// WaitSwarmSettled waits until each named, restarted manager runs its swarm
// again, before up starts the workers (waitNodeEngines).
func (l *Lab) WaitSwarmSettled(ctx context.Context, inv Inventory, nodes []string, p Patience, progress func(string)) error {
	return l.waitNodeEngines(ctx, inv, nodes, swarmSettled, p, progress)
}

// waitNodeEngines waits until the engine in each named node container
// reaches state, reporting how many did and, while one is slow, what its
// engine logged last. A new log line is progress. A node whose engine
// stopped is started again, once: when several dockerds start at once on a
// slow machine, some give up waiting for their containerd, and alone they
// start.
func (l *Lab) waitNodeEngines(ctx context.Context, inv Inventory, nodes []string, state engineState, p Patience, progress func(string)) error {
	var mu sync.Mutex
	detail := map[string]string{}
	reached := 0
	start := l.clock.Now()
	show := func() {
		line := fmt.Sprintf("%d/%d", reached, len(nodes))
		// What a slow node does, once the wait is long enough to wonder.
		for _, n := range nodes {
			if d, ok := detail[n]; ok && l.clock.Now().Sub(start) >= 10*time.Second {
				line += "; " + n + ": " + d
				break
			}
		}
		progress(line)
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, name := range nodes {
		w := &engineWatch{lab: l, name: name, id: inv.Containers[name].ID, state: state}
		g.Go(func() error {
			defer w.close()
			err := follow(gctx, l.clock, 250*time.Millisecond, p, func(d string) {
				mu.Lock()
				defer mu.Unlock()
				detail[name] = d
				show()
			}, w.look)
			mu.Lock()
			defer mu.Unlock()
			delete(detail, name)
			if err != nil {
				return fmt.Errorf("the engine in %s did not %s: %w (see 'docker logs %s')", name, state.what, err, l.Config.ContainerName(name))
			}
			reached++
			show()
			return nil
		})
	}
	return g.Wait()
}

// engineWatch is one node of waitNodeEngines.
type engineWatch struct {
	lab       *Lab
	name, id  string
	state     engineState
	cl        docker.Swarm
	checked   time.Time // when the container was last looked at
	lastLog   string    // its newest log line, as shown
	restarted bool
}

func (w *engineWatch) close() {
	if w.cl != nil {
		w.cl.Close()
	}
}

func (w *engineWatch) look(ctx context.Context) (sight, error) {
	if w.cl == nil {
		cl, err := w.lab.NodeClient(w.id)
		if err != nil {
			return sight{}, err
		}
		w.cl = cl
	}
	info, err := w.cl.Info(ctx)
	if err == nil && w.state.reached(info) {
		return sight{done: true, shown: "answers"}, nil
	}
	s := sight{shown: "starting"}
	if err == nil {
		s.shown = "swarm " + string(info.Swarm.LocalNodeState)
		s.marks = []string{s.shown}
	}
	// The container and its log cost two more calls: every 2 s is enough.
	if w.lab.clock.Now().Sub(w.checked) < 2*time.Second {
		if w.lastLog != "" {
			s.shown += ": " + w.lastLog
		}
		return s, nil
	}
	w.checked = w.lab.clock.Now()
	ins, err := w.lab.Engine.ContainerInspect(ctx, w.id)
	if err != nil {
		return sight{}, err
	}
	line, stamp := lastLogLine(ctx, w.lab.Engine, w.id, ins.Config != nil && ins.Config.Tty)
	if line != "" {
		w.lastLog = line
	}
	if ins.State != nil && !ins.State.Running {
		if w.restarted {
			return sight{}, fmt.Errorf("it stopped again (exit code %d; last logged: %s)", ins.State.ExitCode, w.lastLog)
		}
		w.restarted = true
		w.lab.Status.Infof("the engine in %s stopped (exit code %d; last logged: %s): starting it again, once", w.name, ins.State.ExitCode, w.lastLog)
		if err := w.lab.Engine.ContainerStart(ctx, w.id, container.StartOptions{}); err != nil {
			return sight{}, fmt.Errorf("start it again: %w", err)
		}
		return sight{shown: "started again", marks: []string{"started again"}}, nil
	}
	if w.lastLog != "" {
		s.shown += ": " + w.lastLog
	}
	if stamp != "" {
		s.marks = append(s.marks, stamp)
	}
	return s, nil
}

// lastLogLine returns a container's newest log line, trimmed for a status
// line, and its timestamp, which is new whenever the log grew. Errors read
// as an empty log: the log only tells progress.
func lastLogLine(ctx context.Context, e docker.Engine, id string, tty bool) (line, stamp string) {
	rc, err := e.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Tail: "1"})
	if err != nil {
		return "", ""
	}
	defer rc.Close()
	var b bytes.Buffer
	if tty {
		_, err = io.Copy(&b, io.LimitReader(rc, 64<<10))
	} else {
		_, err = stdcopy.StdCopy(&b, &b, io.LimitReader(rc, 64<<10))
	}
	if err != nil {
		return "", ""
	}
	text := strings.TrimSpace(b.String())
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[i+1:]
	}
	stamp, line, _ = strings.Cut(text, " ")
	return shortLog(line), stamp
}

// shortLog keeps the message of a logrus line (msg="...") and at most 100
// characters of it.
func shortLog(line string) string {
	line = strings.TrimSpace(line)
	if i := strings.Index(line, `msg="`); i >= 0 {
		msg := line[i+5:]
		if j := strings.Index(msg, `"`); j >= 0 {
			msg = msg[:j]
		}
		line = msg
	}
	if len(line) > 100 {
		line = line[:97] + "..."
	}
	return line
}

// WaitNodesReady is waitNodesReady on the lab's clock, for up.
func (l *Lab) WaitNodesReady(ctx context.Context, mgr docker.Swarm, want []string, p Patience, progress func(string), onFlap func(node string)) error {
	return waitNodesReady(ctx, l.clock, mgr, want, p, progress, onFlap)
}

// waitNodesReady waits until every node in want is Ready in the swarm, as
// mgr sees it. A node changing state is progress; one that goes back and
// forth is not. A node that rejoined leaves its old entry Down under the
// same hostname: those entries are removed. onFlap, when set, hears of a
// node that was Ready and is not any more.
func waitNodesReady(ctx context.Context, clk clock, mgr docker.Swarm, want []string, p Patience, progress func(string), onFlap func(node string)) error {
	wasReady := map[string]bool{}
	err := follow(ctx, clk, 250*time.Millisecond, p, progress, func(ctx context.Context) (sight, error) {
		nodes, err := mgr.NodeList(ctx, swarm.NodeListOptions{})
		if err != nil {
			// A manager just started, or electing a Leader, may not answer yet.
			return sight{shown: "no answer from the manager: " + firstLine(err)}, nil
		}
		state := map[string]swarm.NodeState{}
		for _, n := range nodes {
			if st, ok := state[n.Description.Hostname]; !ok || st != swarm.NodeStateReady {
				state[n.Description.Hostname] = n.Status.State
			}
		}
		for _, n := range nodes {
			if n.Status.State == swarm.NodeStateDown && state[n.Description.Hostname] == swarm.NodeStateReady {
				_ = mgr.NodeRemove(ctx, n.ID, swarm.NodeRemoveOptions{Force: true})
			}
		}
		count := 0
		var behind, marks []string
		for _, name := range want {
			st, ok := state[name]
			switch {
			case st == swarm.NodeStateReady:
				count++
				wasReady[name] = true
			case !ok:
				st = "not joined"
			}
			if st != swarm.NodeStateReady {
				behind = append(behind, fmt.Sprintf("%s %s", name, st))
				if wasReady[name] && onFlap != nil {
					onFlap(name)
					wasReady[name] = false
				}
			}
			marks = append(marks, fmt.Sprintf("%s %s", name, st))
		}
		shown := fmt.Sprintf("%d/%d Ready", count, len(want))
		if len(behind) > 0 {
			shown += "; " + strings.Join(behind, ", ")
		}
		return sight{done: count == len(want), shown: shown, marks: marks}, nil
	})
	if err != nil {
		return fmt.Errorf("nodes not Ready: %w", err)
	}
	return nil
}

// WaitReady waits until every running node of the lab is Ready in the
// swarm, as after a start.
func (l *Lab) WaitReady(ctx context.Context, p Patience) error {
	l.Status.Start("Waiting for every node to be Ready")
	err := l.waitRunningReady(ctx, p)
	l.Status.End(err == nil)
	return err
}

func (l *Lab) waitRunningReady(ctx context.Context, p Patience) error {
	inv, err := l.Inventory(ctx)
	if err != nil {
		return err
	}
	var want []string
	for _, name := range sortedNames(inv) {
		c := inv.Containers[name]
		if role := c.Labels[LabelRole]; (role == RoleManager || role == RoleWorker) && c.State == container.StateRunning {
			want = append(want, name)
		}
	}
	// A manager that was just started answers once its engine is up.
	var mgr docker.Swarm
	err = follow(ctx, l.clock, 250*time.Millisecond, p, l.Status.Progress, func(ctx context.Context) (sight, error) {
		var err error
		if mgr, _, err = l.ManagerFrom(ctx, inv); err != nil {
			return sight{shown: "waiting for a manager: " + firstLine(err)}, nil
		}
		return sight{done: true, shown: "a manager answers"}, nil
	})
	if err != nil {
		return err
	}
	defer mgr.Close()
	return waitNodesReady(ctx, l.clock, mgr, want, p, l.Status.Progress, nil)
}

// WaitStack waits until every service of a stack runs its desired tasks
// and no rolling update is under way.
// Tasks in states they were not in before (one more running, two pulled) is
// progress; a task failing and being replaced, back where it was, is not.
func WaitStack(ctx context.Context, mgr docker.Swarm, name string, p Patience, progress func(string)) error {
	return waitStack(ctx, wallClock{}, mgr, name, p, progress)
}

func waitStack(ctx context.Context, clk clock, mgr docker.Swarm, name string, p Patience, progress func(string)) error {
	var last []ServiceState
	err := follow(ctx, clk, 300*time.Millisecond, p, progress, func(ctx context.Context) (sight, error) {
		svcs, err := Services(ctx, mgr, name)
		if err != nil {
			return sight{}, err
		}
		last = svcs
		var parts, marks []string
		done := len(svcs) > 0
		for _, s := range svcs {
			part := fmt.Sprintf("%s %d/%d", s.Name, s.Running, s.Desired)
			if s.Running < s.Desired || s.Desired == 0 || s.Updating {
				done = false
			}
			way := s.Way()
			if s.Updating {
				way = strings.TrimPrefix(way+", updating", ", ")
			}
			if way != "" {
				part += " (" + way + ")"
			}
			parts = append(parts, part)
			marks = append(marks, part)
		}
		return sight{done: done, shown: strings.Join(parts, ", "), marks: marks}, nil
	})
	if err != nil {
		var why []string
		for _, s := range last {
			if s.Running < s.Desired && s.LastError != "" {
				why = append(why, s.Name+": "+s.LastError)
			}
		}
		if len(why) > 0 {
			return fmt.Errorf("stack %s did not converge: %w (%s)", name, err, strings.Join(why, "; "))
		}
		return fmt.Errorf("stack %s did not converge: %w", name, err)
	}
	return nil
}

// NodeNames are the names of nodes, in their order.
func NodeNames(nodes []Node) []string {
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	return names
}
