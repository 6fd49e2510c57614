package lb

import "sync/atomic"

// Pool is the set of upstreams for one route. Discovery replaces the set
// with Set; readers get an immutable slice, so selection never locks.
type Pool struct {
	ups atomic.Pointer[[]*Upstream]
}

// NewPool returns a pool holding addrs.
func NewPool(addrs ...string) *Pool {
	p := &Pool{}
	p.Set(addrs)
	return p
}

// Upstreams returns the current upstreams. The slice must not be modified.
func (p *Pool) Upstreams() []*Upstream {
	if s := p.ups.Load(); s != nil {
		return *s
	}
	return nil
}

// Set replaces the pool's addresses, in the given order, without duplicates.
// Upstreams whose address remains keep their health and counters, so a
// discovery update does not reset checks or stats. Set must not be called
// concurrently with itself; readers may run at any time.
func (p *Pool) Set(addrs []string) (added, removed []*Upstream) {
	old := p.Upstreams()
	byAddr := make(map[string]*Upstream, len(old))
	for _, u := range old {
		byAddr[u.Addr] = u
	}
	next := make([]*Upstream, 0, len(addrs))
	seen := make(map[string]bool, len(addrs))
	for _, a := range addrs {
		if seen[a] {
			continue
		}
		seen[a] = true
		u, ok := byAddr[a]
		if !ok {
			u = NewUpstream(a)
			added = append(added, u)
		}
		next = append(next, u)
	}
	for _, u := range old {
		if !seen[u.Addr] {
			removed = append(removed, u)
		}
	}
	p.ups.Store(&next)
	for _, u := range removed {
		u.closeIdle()
	}
	return added, removed
}

// Available returns how many upstreams may be selected now.
func (p *Pool) Available() int {
	n := 0
	for _, u := range p.Upstreams() {
		if u.Available() {
			n++
		}
	}
	return n
}

// Stats returns a snapshot of every upstream.
func (p *Pool) Stats() []Stats {
	ups := p.Upstreams()
	out := make([]Stats, len(ups))
	for i, u := range ups {
		out[i] = u.Stats()
	}
	return out
}
