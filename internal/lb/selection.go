package lb

import (
	"fmt"
	"net"
	"sync/atomic"
)

// Selector picks an upstream among ups for a client, considering only
// Available ones. client is the client's address as in
// http.Request.RemoteAddr. It returns nil when none is available.
// Implementations must be safe for concurrent use and must not modify ups.
type Selector interface {
	Select(ups []*Upstream, client string) *Upstream
}

// Policy names, as in HAProxy's "balance" keyword.
const (
	PolicyRoundRobin = "roundrobin"
	PolicyLeastConn  = "leastconn"
	PolicySource     = "source"
)

// NewSelector returns the selector for a policy name; "" means roundrobin.
func NewSelector(policy string) (Selector, error) {
	switch policy {
	case "", PolicyRoundRobin:
		return &RoundRobin{}, nil
	case PolicyLeastConn:
		return &LeastConn{}, nil
	case PolicySource:
		return &Source{}, nil
	}
	return nil, fmt.Errorf("unknown balance %q (want roundrobin, leastconn or source)", policy)
}

// RoundRobin takes available upstreams in turn.
type RoundRobin struct{ n atomic.Uint32 }

// Select implements Selector.
func (s *RoundRobin) Select(ups []*Upstream, _ string) *Upstream {
	n := uint32(len(ups))
	if n == 0 {
		return nil
	}
	start := s.n.Add(1)
	for i := uint32(0); i < n; i++ {
		if u := ups[(start+i)%n]; u.Available() {
			return u
		}
	}
	return nil
}

// LeastConn takes the available upstream with the fewest requests in
// flight; ties go round-robin so that idle upstreams share the load.
type LeastConn struct{ n atomic.Uint32 }

// Select implements Selector.
func (s *LeastConn) Select(ups []*Upstream, _ string) *Upstream {
	n := uint32(len(ups))
	if n == 0 {
		return nil
	}
	start := s.n.Add(1)
	var best *Upstream
	var bestConns int64
	for i := uint32(0); i < n; i++ {
		u := ups[(start+i)%n]
		if !u.Available() {
			continue
		}
		if c := u.active.Load(); best == nil || c < bestConns {
			best, bestConns = u, c
		}
	}
	return best
}

// Source hashes the client IP so that a client keeps its upstream while the
// set is stable. When that upstream is unavailable the next one is used.
type Source struct{}

// Select implements Selector.
func (Source) Select(ups []*Upstream, client string) *Upstream {
	n := uint32(len(ups))
	if n == 0 {
		return nil
	}
	h := fnv32a(clientIP(client))
	for i := uint32(0); i < n; i++ {
		if u := ups[(h+i)%n]; u.Available() {
			return u
		}
	}
	return nil
}

func fnv32a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// clientIP returns the host part of a RemoteAddr without allocating.
func clientIP(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

var (
	_ Selector = (*RoundRobin)(nil)
	_ Selector = (*LeastConn)(nil)
	_ Selector = (*Source)(nil)
)
