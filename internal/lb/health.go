package lb

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// HealthCheck is an active health check, run against every upstream of a
// pool on a ticker. An upstream goes down after Fall consecutive failures
// and comes back after Rise consecutive successes, as in HAProxy.
type HealthCheck struct {
	// Path is the HTTP path to GET; a 2xx or 3xx answer is a success.
	// Empty means a TCP connect check.
	Path string
	// Interval between checks. Default 2s.
	Interval time.Duration
	// Timeout of one check. Default: Interval, at most 2s.
	Timeout time.Duration
	// Rise is the number of successes that bring an upstream up. Default 2.
	Rise int
	// Fall is the number of failures that take an upstream down. Default 3.
	Fall int
	// Host, when set, is sent as the Host header of HTTP checks.
	Host string
}

func (hc HealthCheck) withDefaults() HealthCheck {
	if hc.Interval <= 0 {
		hc.Interval = 2 * time.Second
	}
	if hc.Timeout <= 0 {
		hc.Timeout = min(hc.Interval, 2*time.Second)
	}
	if hc.Rise <= 0 {
		hc.Rise = 2
	}
	if hc.Fall <= 0 {
		hc.Fall = 3
	}
	return hc
}

// Run checks every upstream of pool each Interval until ctx is cancelled.
// Upstreams added to the pool later are picked up on the next tick.
func (hc HealthCheck) Run(ctx context.Context, pool *Pool, logger *slog.Logger) {
	hc = hc.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	client := &http.Client{
		Timeout:   hc.Timeout,
		Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true},
		// a redirect is an answer: do not follow it
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t := time.NewTicker(hc.Interval)
	defer t.Stop()
	for {
		for _, u := range pool.Upstreams() {
			hc.update(u, hc.probe(ctx, client, u.Addr), logger)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// probe runs one check; checks of a tick run one after another because a
// route has few upstreams and each check is bounded by Timeout.
func (hc HealthCheck) probe(ctx context.Context, client *http.Client, addr string) bool {
	if ctx.Err() != nil {
		return true // shutting down: do not flip state
	}
	if hc.Path == "" {
		d := net.Dialer{Timeout: hc.Timeout}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+hc.Path, nil)
	if err != nil {
		return false
	}
	if hc.Host != "" {
		req.Host = hc.Host
	}
	req.Header.Set("User-Agent", "swarmlab-healthcheck")
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400
}

func (hc HealthCheck) update(u *Upstream, ok bool, logger *slog.Logger) {
	if ok {
		u.falls.Store(0)
		if r := u.rises.Add(1); !u.Healthy() && int(r) >= hc.Rise {
			u.SetHealthy(true)
			logger.Info("upstream up", "upstream", u.Addr)
		}
		return
	}
	u.rises.Store(0)
	if f := u.falls.Add(1); u.Healthy() && int(f) >= hc.Fall {
		u.SetHealthy(false)
		logger.Warn("upstream down", "upstream", u.Addr, "failures", f)
	}
}

// PassiveHealth takes an upstream out of rotation when requests show it is
// broken: for DownFor after a refused connect, a reset or a timeout
// waiting for an answer; and until a probe connects again when it cannot
// be reached at all (a connect that timed out, or sent bytes never
// acknowledged), since a task on a dead node stays dead. An answer, even
// a 5xx or one that cannot be relayed, never counts: it is the
// application's. A zero DownFor uses 5s; a negative one disables passive
// checks.
type PassiveHealth struct {
	DownFor time.Duration
	// ProbeInterval is how often an unreachable upstream is probed with a
	// connect. Default 250ms.
	ProbeInterval time.Duration
}

func (p PassiveHealth) fail(pool *Pool, u *Upstream) {
	if p.DownFor < 0 {
		return
	}
	// Never take out the last available upstream: like nginx with a single
	// server, a lone backend that blipped is better than a 503 for seconds.
	if pool.Available() <= 1 {
		return
	}
	d := p.DownFor
	if d == 0 {
		d = 5 * time.Second
	}
	u.MarkDown(d)
}

// unreachable takes u out of rotation until a connect to it succeeds, and
// closes its kept-alive connections, which lead nowhere either.
func (p PassiveHealth) unreachable(pool *Pool, u *Upstream, tr *Transport) {
	if p.DownFor < 0 || pool.Available() <= 1 || !u.probing.CompareAndSwap(false, true) {
		return
	}
	u.MarkDown(24 * time.Hour) // until the probe below says otherwise
	u.dropIdle()
	u.abortWaiting()
	every := p.ProbeInterval
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	go func() {
		defer u.probing.Store(false)
		t := time.NewTicker(every)
		defer t.Stop()
		for range t.C {
			if u.gone() {
				return
			}
			c, err := net.DialTimeout("tcp", u.Addr, tr.cfg.DialTimeout)
			if err == nil {
				c.Close()
				u.downUntil.Store(0)
				return
			}
		}
	}()
}

// wait records that c carries a replayable request to u waiting for its
// answer, which abortWaiting may end.
func (u *Upstream) wait(c *upConn) {
	u.idleMu.Lock()
	if u.waiting == nil {
		u.waiting = map[*upConn]struct{}{}
	}
	u.waiting[c] = struct{}{}
	u.idleMu.Unlock()
}

// answered ends c's wait, and reports whether abortWaiting ended it first.
// An answer that came in anyway reads on: its body gets a fresh deadline.
func (u *Upstream) answered(c *upConn) bool {
	u.idleMu.Lock()
	delete(u.waiting, c)
	u.idleMu.Unlock()
	if !c.aborted.Swap(false) {
		return false
	}
	c.rd = time.Time{} // upConn.Read arms a fresh one
	return true
}

// abortWaiting ends the wait of the replayable requests sent to an
// unreachable upstream. A task that lost power after it acknowledged a
// request never answers, and nothing unacknowledged is left for
// UnackedTimeout to notice: the request would wait for the client's
// timeout. Requests that are not replayable keep waiting: they may not go
// elsewhere, and a task that is merely slow may still answer them.
func (u *Upstream) abortWaiting() {
	u.idleMu.Lock()
	defer u.idleMu.Unlock()
	for c := range u.waiting {
		c.aborted.Store(true)
		c.Conn.SetReadDeadline(time.Unix(1, 0)) // the wrapper's cached deadline stays: the read fails now
	}
}
