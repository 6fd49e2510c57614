package chaos

// The request loop of chaos: what users of the app would have seen, split
// into before, during and after the event.

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/swarmlab/swarmlab/internal/probe"
)

// The loop's shape: two clients, a request each every 20 ms or so, and the
// client timeout of the goals (a request slower than 1 s has failed).
const (
	loopClients  = 2
	loopInterval = 20 * time.Millisecond
	loopTimeout  = time.Second
	// loopBefore and loopAfter frame the event: long enough for a few
	// hundred requests on each side.
	loopBefore = 3 * time.Second
	loopAfter  = 3 * time.Second
	// slowRequest is the goal's p99 bound: a request slower than this gets
	// a line of its own in the timeline.
	slowRequest = 50 * time.Millisecond
	// requestLines caps those lines, so a broken lab cannot flood the output.
	requestLines = 12
)

// Loop describes the request loop and what it saw.
type Loop struct {
	URL      string        `json:"url"`
	Clients  int           `json:"clients"`
	Interval time.Duration `json:"interval"`
	Timeout  time.Duration `json:"timeout"`
	Before   Phase         `json:"before"`
	During   Phase         `json:"during"`
	After    Phase         `json:"after"`
}

// Phase is the loop's requests that started within From..To of the event
// (negative before it). Durations are nanoseconds in JSON.
type Phase struct {
	From     time.Duration `json:"from"`
	To       time.Duration `json:"to"`
	Requests int           `json:"requests"`
	Failed   int           `json:"failed"`
	P50      time.Duration `json:"p50"`
	P99      time.Duration `json:"p99"`
	Max      time.Duration `json:"max"`
}

// requestLoop runs probe's loop against the ingress and keeps every sample.
type requestLoop struct {
	loop    Loop
	stop    context.CancelFunc
	done    chan struct{}
	mu      sync.Mutex
	samples []probe.Sample
	start   time.Time                    // the loop's
	t0      time.Time                    // the event's
	lines   int                          // request lines emitted
	line    func(at time.Time, s string) // timeline output
}

// startLoop starts the loop on url and returns at t0, when the event is to
// start. line gets the slow and failed requests.
func startLoop(ctx context.Context, url string, t0 time.Time, line func(time.Time, string)) *requestLoop {
	r := &requestLoop{loop: Loop{URL: url, Clients: loopClients, Interval: loopInterval, Timeout: loopTimeout},
		done: make(chan struct{}), line: line, start: time.Now(), t0: t0}
	ctx, r.stop = context.WithCancel(ctx)
	go func() {
		defer close(r.done)
		_, _ = probe.Run(ctx, probe.Options{URL: url, Duration: 24 * time.Hour, Interval: loopInterval, Concurrency: loopClients, Timeout: loopTimeout, OnRequest: r.add})
	}()
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(r.t0)):
	}
	return r
}

// add keeps s and gives a slow or failed request a timeline line, at the
// time it ended: the timeline then stays in order while it is printed,
// and the line says when the request was sent.
func (r *requestLoop) add(s probe.Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, s)
	if s.Err == "" && s.Took < slowRequest {
		return
	}
	r.lines++
	end := s.Start.Add(s.Took)
	sent := fmt.Sprintf("request sent at %+.1fs", s.Start.Sub(r.t0).Seconds())
	switch {
	case r.lines > requestLines:
		return
	case r.lines == requestLines:
		r.line(end, "more slow or failed requests: see the table")
	case s.Err != "":
		r.line(end, fmt.Sprintf("%s failed after %s: %s", sent, probe.Short(s.Took), s.Err))
	default:
		r.line(end, sent+" took "+probe.Short(s.Took))
	}
}

// finish waits loopAfter past restored (the end of the during phase, since
// the event) unless the swarm did not converge, stops the loop and splits
// what it saw. It also returns the first failures, with when they started.
func (r *requestLoop) finish(restored time.Duration, converged bool) (Loop, []string) {
	if converged {
		time.Sleep(loopAfter)
	}
	r.stop()
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	end := time.Since(r.t0)
	if !converged {
		restored = end
	}
	r.loop.Before, r.loop.During, r.loop.After = phases(r.samples, r.t0, r.start.Sub(r.t0), restored, end)
	var errs []string
	for _, s := range r.samples {
		if s.Err != "" && len(errs) < 20 {
			errs = append(errs, fmt.Sprintf("%+.1fs: %s", s.Start.Sub(r.t0).Seconds(), s.Err))
		}
	}
	return r.loop, errs
}

// phases splits samples by when they started after t0: before the event
// (from first), during it (0 to restored, both included), after it (to end).
func phases(samples []probe.Sample, t0 time.Time, first, restored, end time.Duration) (before, during, after Phase) {
	before, during, after = Phase{From: first}, Phase{To: restored}, Phase{From: restored, To: end}
	var took [3][]time.Duration
	for _, s := range samples {
		i, p := 1, &during
		switch at := s.Start.Sub(t0); {
		case at < 0:
			i, p = 0, &before
		case at > restored:
			i, p = 2, &after
		}
		took[i] = append(took[i], s.Took)
		if s.Err != "" {
			p.Failed++
		}
	}
	for i, p := range []*Phase{&before, &during, &after} {
		pc := probe.Summarize(took[i])
		p.Requests, p.P50, p.P99, p.Max = pc.N, pc.P50, pc.P99, pc.Max
	}
	return before, during, after
}
