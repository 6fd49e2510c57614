package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options bound a probe run: it stops after Count requests or Duration,
// whichever comes first; at least one of them must be set.
type Options struct {
	URL         string
	Count       int           // requests in all; 0 for no limit
	Duration    time.Duration // how long; 0 for no limit
	Interval    time.Duration // pause between a worker's requests; default 0
	Concurrency int           // parallel workers; default 1
	Timeout     time.Duration // per request; default 5s
	// NoKeepAlive opens a connection per request, so that Connect
	// measures a TCP connect every time.
	NoKeepAlive bool
	// OnRequest, when set, is called after each request, from the worker
	// that sent it (concurrently): chaos builds its timeline from it.
	OnRequest func(Sample)
}

// Sample is one request of a run.
type Sample struct {
	Start time.Time
	Took  time.Duration
	Err   string // "" when it succeeded; a transport error or "status 5xx"
}

// Result counts a run.
type Result struct {
	Requests  int            `json:"requests"`
	Failures  int            `json:"failures"` // transport errors and 5xx
	Status    map[int]int    `json:"status"`
	Hostnames map[string]int `json:"hostnames"` // from JSON bodies with a "hostname" field
	Errors    []string       `json:"errors,omitempty"`
	// FailedAt are the times of failures, for a failover timeline.
	FailedAt []time.Time `json:"failedAt,omitempty"`
	// Latency is every request's, failed ones included.
	Latency Percentiles `json:"latency"`
	// Connect is the time of each TCP connect the run made.
	Connect Percentiles `json:"connect"`
}

// Distinct lists the hostnames that answered, sorted.
func (r Result) Distinct() []string {
	var out []string
	for h := range r.Hostnames {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

func (r Result) String() string {
	s := fmt.Sprintf("%d requests, %d failed, %d replicas answered (%s); latency %s", r.Requests, r.Failures, len(r.Hostnames), strings.Join(r.Distinct(), ", "), r.Latency)
	if r.Connect.N > 0 {
		s += fmt.Sprintf("; %d connects: %s", r.Connect.N, r.Connect)
	}
	return s
}

// Run probes until the bounds are reached or ctx ends.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Count <= 0 && o.Duration <= 0 {
		return Result{}, fmt.Errorf("probe: give a count or a duration")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	client := &http.Client{Timeout: o.Timeout, Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency, DisableKeepAlives: o.NoKeepAlive}}
	res := Result{Status: map[int]int{}, Hostnames: map[string]int{}}
	var mu sync.Mutex
	var took, connects []time.Duration
	sent := 0
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if o.Count > 0 && sent >= o.Count {
			return false
		}
		sent++
		return true
	}
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil && take() {
				start := time.Now()
				status, host, connect, err := once(ctx, client, o.URL)
				d := time.Since(start)
				if ctx.Err() != nil && err != nil {
					return // the run ended mid-request: not the server's failure
				}
				if err == nil && status >= 500 {
					err = fmt.Errorf("status %d", status)
				}
				mu.Lock()
				res.Requests++
				took = append(took, d)
				if connect > 0 {
					connects = append(connects, connect)
				}
				if err != nil {
					res.Failures++
					res.FailedAt = append(res.FailedAt, time.Now())
					if len(res.Errors) < 20 {
						res.Errors = append(res.Errors, err.Error())
					}
				}
				if status != 0 {
					res.Status[status]++
				}
				if host != "" {
					res.Hostnames[host]++
				}
				mu.Unlock()
				if o.OnRequest != nil {
					s := Sample{Start: start, Took: d}
					if err != nil {
						s.Err = err.Error()
					}
					o.OnRequest(s)
				}
				if o.Interval > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(o.Interval):
					}
				}
			}
		})
	}
	wg.Wait()
	res.Latency, res.Connect = Summarize(took), Summarize(connects)
	return res, nil
}

// once sends one request; connect is the time its TCP connect took, 0 when
// it reused a kept-alive connection.
func once(ctx context.Context, c *http.Client, url string) (status int, host string, connect time.Duration, err error) {
	var connStart time.Time
	trace := &httptrace.ClientTrace{
		ConnectStart: func(string, string) { connStart = time.Now() },
		ConnectDone: func(_, _ string, err error) {
			if err == nil && !connStart.IsZero() {
				connect = time.Since(connStart)
			}
		},
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, url, nil)
	if err != nil {
		return 0, "", 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", connect, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, "", connect, fmt.Errorf("read body: %w", err)
	}
	var info struct {
		Hostname string `json:"hostname"`
	}
	if json.Unmarshal(body, &info) == nil {
		return resp.StatusCode, info.Hostname, connect, nil
	}
	return resp.StatusCode, "", connect, nil
}
