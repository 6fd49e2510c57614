package lab

// Every wait of the lab, each written once: HTTP endpoints, the nodes'
// engines, Ready nodes and converged stacks.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"golang.org/x/sync/errgroup"

	"github.com/swarmlab/swarmlab/internal/docker"
)

// poll calls f every interval until it reports done, fails, or ctx ends.
func poll(ctx context.Context, interval time.Duration, f func() (bool, error)) error {
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

// waitHTTP waits until url answers 200.
func waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastErr error
	err := poll(ctx, 200*time.Millisecond, func() (bool, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := httpClient.Do(req)
		if err != nil {
			lastErr = err
			return false, nil
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			lastErr = fmt.Errorf("%s answered %s", url, resp.Status)
			return false, nil
		}
		return true, nil
	})
	if err != nil && lastErr != nil {
		return fmt.Errorf("%s did not answer: %w", url, lastErr)
	}
	return err
}

// waitIngress waits until the ingress answers on its host port; a lab that
// does not publish it has nothing to wait for.
func waitIngress(ctx context.Context, cfg Config, progress func(string)) error {
	if cfg.Ports.Ingress == 0 {
		return nil
	}
	url := cfg.URL(cfg.Ports.Ingress) + "/"
	progress(url)
	return waitHTTP(ctx, url, time.Minute)
}

// engineState is what waitNodeEngines waits for in a node's own engine.
type engineState struct {
	what    string // what the engine failed to do, for the error
	reached func(system.Info) bool
}

var (
	// engineAnswers: a node that was just created or started.
	engineAnswers = engineState{"answer", func(system.Info) bool { return true }}
	// swarmActive: a manager that was restarted, before workers start.
	swarmActive = engineState{"run its swarm again", func(i system.Info) bool { return i.Swarm.LocalNodeState == swarm.LocalNodeStateActive }}
)

// waitNodeEngines waits until the engine in each named node container
// reaches state, reporting how many did.
func (l *Lab) waitNodeEngines(ctx context.Context, inv Inventory, nodes []string, state engineState, timeout time.Duration, progress func(string)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var reached atomic.Int32
	g, ctx := errgroup.WithContext(ctx)
	for _, name := range nodes {
		id := inv.Containers[name].ID
		g.Go(func() error {
			err := poll(ctx, 250*time.Millisecond, func() (bool, error) {
				cl, err := l.NodeClient(id)
				if err != nil {
					return false, err
				}
				defer cl.Close()
				if info, err := cl.Info(ctx); err != nil || !state.reached(info) {
					return false, nil
				}
				progress(fmt.Sprintf("%d/%d", reached.Add(1), len(nodes)))
				return true, nil
			})
			if err != nil {
				return fmt.Errorf("the engine in %s did not %s: %w (see 'docker logs %s')", name, state.what, err, l.Config.ContainerName(name))
			}
			return nil
		})
	}
	return g.Wait()
}

// waitNodesReady waits until every node in want is Ready in the swarm, as
// mgr sees it. A node that rejoined leaves its old entry Down under the
// same hostname: those entries are removed.
func waitNodesReady(ctx context.Context, mgr docker.Swarm, want []string, timeout time.Duration, progress func(string)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := "no answer from the manager"
	err := poll(ctx, 250*time.Millisecond, func() (bool, error) {
		nodes, err := mgr.NodeList(ctx, swarm.NodeListOptions{})
		if err != nil {
			last = err.Error() // a manager just started, or electing a Leader, may not answer yet
			return false, nil
		}
		ready := map[string]bool{}
		for _, n := range nodes {
			if n.Status.State == swarm.NodeStateReady {
				ready[n.Description.Hostname] = true
			}
		}
		for _, n := range nodes {
			if n.Status.State == swarm.NodeStateDown && ready[n.Description.Hostname] {
				_ = mgr.NodeRemove(ctx, n.ID, swarm.NodeRemoveOptions{Force: true})
			}
		}
		count := 0
		for _, name := range want {
			if ready[name] {
				count++
			}
		}
		last = fmt.Sprintf("%d/%d Ready", count, len(want))
		progress(last)
		return count == len(want), nil
	})
	if err != nil {
		return fmt.Errorf("nodes not Ready (%s): %w", last, err)
	}
	return nil
}

// WaitReady waits until every running node of the lab is Ready in the
// swarm, as after a start.
func (l *Lab) WaitReady(ctx context.Context, timeout time.Duration) error {
	l.Status.Start("Waiting for every node to be Ready")
	err := l.waitRunningReady(ctx, timeout)
	l.Status.End(err == nil)
	return err
}

func (l *Lab) waitRunningReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
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
	var lastErr error
	err = poll(ctx, 250*time.Millisecond, func() (bool, error) {
		mgr, _, lastErr = l.managerFrom(ctx, inv)
		return lastErr == nil, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for a manager: %w", lastErr)
	}
	defer mgr.Close()
	return waitNodesReady(ctx, mgr, want, timeout, l.Status.Progress)
}

// WaitStack waits until every service of a stack runs its desired tasks.
func WaitStack(ctx context.Context, mgr docker.Swarm, name string, timeout time.Duration, progress func(string)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last []ServiceState
	err := poll(ctx, 300*time.Millisecond, func() (bool, error) {
		svcs, err := Services(ctx, mgr, name)
		if err != nil {
			return false, err
		}
		last = svcs
		var parts []string
		done := len(svcs) > 0
		for _, s := range svcs {
			parts = append(parts, fmt.Sprintf("%s %d/%d", s.Name, s.Running, s.Desired))
			if s.Running < s.Desired || s.Desired == 0 {
				done = false
			}
		}
		progress(strings.Join(parts, ", "))
		return done, nil
	})
	if err != nil {
		var why []string
		for _, s := range last {
			if s.Running < s.Desired && s.LastError != "" {
				why = append(why, s.Name+": "+s.LastError)
			}
		}
		if len(why) > 0 {
			return fmt.Errorf("stack %s did not converge: %s", name, strings.Join(why, "; "))
		}
		return fmt.Errorf("stack %s did not converge: %w", name, err)
	}
	return nil
}

func nodeNames(nodes []Node) []string {
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	return names
}
