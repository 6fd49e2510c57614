package tutorial

// The progress is published on the swarm, as the label panel.Label.
// It is the tutorial's memory of the steps it saw done (a service the
// learner created and removed leaves nothing else behind), and the
// visualizer, which only sees the manager's engine, shows it as a panel.
// The label lives and dies with the swarm: 'tutorial reset' and 'down'
// forget it with the rest.

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/visualizer/panel"
)

// PanelOf is what the visualizer's panel shows of p. Only the current step
// carries its commands and hint, and never a join token: the page is for
// anyone who can open it.
func PanelOf(p Progress) panel.Tutorial {
	t := panel.Tutorial{At: p.At, Lang: p.Lang, Current: p.Current, Message: p.Message}
	for _, s := range p.Steps {
		ts := panel.Step{ID: s.ID, Title: s.Title, Status: s.Status}
		if s.Status == StatusCurrent {
			ts.Where, ts.Detail, ts.Hint = s.Where, s.Detail, s.Hint
			for _, c := range s.Commands {
				if strings.HasPrefix(c, "docker swarm join --token ") {
					c = "docker swarm join --token SWMTKN-1-... " + c[strings.LastIndex(c, " ")+1:]
				}
				ts.Commands = append(ts.Commands, c)
			}
		}
		t.Steps = append(t.Steps, ts)
	}
	return t
}

// recordOf lists the steps a published progress says are done.
func recordOf(label string) map[string]bool {
	t := panel.Parse(label)
	if t == nil {
		return nil
	}
	out := map[string]bool{}
	for _, s := range t.Steps {
		if s.Status == StatusDone {
			out[s.ID] = true
		}
	}
	return out
}

// sameLabel reports whether two published progresses differ only in time.
func sameLabel(a, b string) bool {
	ta, tb := panel.Parse(a), panel.Parse(b)
	if ta == nil || tb == nil {
		return a == b
	}
	ta.At, tb.At = time.Time{}, time.Time{}
	ja, _ := json.Marshal(ta)
	jb, _ := json.Marshal(tb)
	return bytes.Equal(ja, jb)
}

// Publish writes p on the swarm when it changed since the last read. It
// does nothing when the lab has no swarm to hold it.
func (r *Reader) Publish(ctx context.Context, p Progress) error {
	data, err := json.Marshal(PanelOf(p))
	if err != nil {
		return err
	}
	r.mu.Lock()
	mgr, last := r.mgr, r.label
	r.mu.Unlock()
	if mgr == nil || p.LabState != LabRunning || sameLabel(last, string(data)) {
		return nil
	}
	if err := writeLabel(ctx, mgr, string(data)); err != nil {
		return err
	}
	r.mu.Lock()
	r.label, r.record = string(data), recordOf(string(data))
	r.mu.Unlock()
	return nil
}

// writeLabel sets (or, with "", removes) the label, retrying once when
// another writer updated the swarm in between.
func writeLabel(ctx context.Context, mgr interface {
	SwarmInspect(context.Context) (swarm.Swarm, error)
	SwarmUpdate(context.Context, swarm.Version, swarm.Spec, swarm.UpdateFlags) error
}, value string) error {
	var err error
	for range 2 {
		var sw swarm.Swarm
		if sw, err = mgr.SwarmInspect(ctx); err != nil {
			return err
		}
		if sw.Spec.Labels == nil {
			sw.Spec.Labels = map[string]string{}
		}
		if value == "" {
			delete(sw.Spec.Labels, panel.Label)
		} else {
			sw.Spec.Labels[panel.Label] = value
		}
		if err = mgr.SwarmUpdate(ctx, sw.Version, sw.Spec, swarm.UpdateFlags{}); err == nil {
			return nil
		}
	}
	return err
}
