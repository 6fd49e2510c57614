package lb

import (
	"sync"
	"sync/atomic"
	"time"
)

// Upstream is one backend address. All its fields are safe for concurrent
// use; the hot path only touches atomics.
type Upstream struct {
	// Addr is the backend's host:port.
	Addr string

	unhealthy atomic.Bool  // set by active checks after Fall failures
	downUntil atomic.Int64 // unix nanos; set by passive checks
	active    atomic.Int64
	requests  atomic.Uint64
	errors    atomic.Uint64
	latency   Histogram

	// consecutive active-check results
	rises, falls atomic.Int32
	probing      atomic.Bool // an unreachable-probe runs (health.go)

	// kept-alive connections (see transport.go), and those that carry a
	// replayable request waiting for its answer (see abortWaiting)
	idleMu  sync.Mutex
	idle    []*upConn
	waiting map[*upConn]struct{}
	removed bool
}

// NewUpstream returns a healthy upstream for addr. New upstreams start
// healthy so that a freshly scaled task takes traffic at once; passive checks
// and retries cover a task that is not ready yet.
func NewUpstream(addr string) *Upstream { return &Upstream{Addr: addr} }

// Available reports whether the upstream may be selected: healthy by active
// checks and not marked down by a recent failure.
func (u *Upstream) Available() bool {
	if u.unhealthy.Load() {
		return false
	}
	d := u.downUntil.Load()
	return d == 0 || time.Now().UnixNano() >= d
}

// Healthy reports the active health check state only.
func (u *Upstream) Healthy() bool { return !u.unhealthy.Load() }

// SetHealthy sets the active health state directly.
func (u *Upstream) SetHealthy(ok bool) { u.unhealthy.Store(!ok) }

// MarkDown takes the upstream out of selection for d (a passive failure).
func (u *Upstream) MarkDown(d time.Duration) {
	u.downUntil.Store(time.Now().Add(d).UnixNano())
}

// ActiveConns returns the number of requests in flight to this upstream.
func (u *Upstream) ActiveConns() int64 { return u.active.Load() }

// Stats is a point-in-time copy of an upstream's counters.
type Stats struct {
	Addr       string        `json:"addr"`
	Status     string        `json:"status"` // "up", "down" (active check) or "failing" (passive)
	Active     int64         `json:"active"`
	Requests   uint64        `json:"requests"`
	Errors     uint64        `json:"errors"`
	P50        time.Duration `json:"p50_ns"`
	P90        time.Duration `json:"p90_ns"`
	P99        time.Duration `json:"p99_ns"`
	LatencyN   uint64        `json:"latency_count"`
	LatencySum time.Duration `json:"latency_sum_ns"`
}

// Stats returns a snapshot of the upstream's counters.
func (u *Upstream) Stats() Stats {
	s := Stats{
		Addr:     u.Addr,
		Status:   "up",
		Active:   u.active.Load(),
		Requests: u.requests.Load(),
		Errors:   u.errors.Load(),
	}
	switch {
	case u.unhealthy.Load():
		s.Status = "down"
	case !u.Available():
		s.Status = "failing"
	}
	q := u.latency.Quantiles(0.5, 0.9, 0.99)
	s.P50, s.P90, s.P99 = q[0], q[1], q[2]
	s.LatencyN, s.LatencySum = u.latency.Count(), u.latency.Sum()
	return s
}
