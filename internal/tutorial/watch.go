package tutorial

import (
	"context"
	"time"
)

// DefaultInterval is how often --watch reads the lab: a step the learner
// finished shows up ticked well within a second.
const DefaultInterval = 300 * time.Millisecond

// Check reads the lab once, works out the progress and publishes it on the
// swarm (for the visualizer's panel, and as the tutorial's memory).
func Check(ctx context.Context, r *Reader, lang string) (Progress, error) {
	start := time.Now()
	s, err := r.Read(ctx)
	if err != nil {
		return Progress{}, err
	}
	env := r.Env(s)
	p := Evaluate(Steps(env), env, s, lang)
	p.At, p.Elapsed = start, time.Since(start)
	if err := r.Publish(ctx, p); err != nil && ctx.Err() == nil {
		r.Lab.Log.Warn("cannot publish the tutorial's progress on the swarm", "err", err)
	}
	return p, nil
}

// Watch checks the lab every interval until ctx ends, and calls show with
// each progress that differs from the one before.
func Watch(ctx context.Context, r *Reader, lang string, interval time.Duration, show func(Progress)) error {
	var last *Progress
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		p, err := Check(ctx, r, lang)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			return err
		case last == nil || !Same(*last, p):
			show(p)
			last = &p
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
