package ingress

import (
	"cmp"
	"slices"
	"strings"

	"github.com/swarmlab/swarmlab/internal/lb"
)

// Backend is one service port: the pool of its task addresses and the
// handler that balances over them. Backends live across table swaps so
// that upstream health and counters survive discovery updates.
type Backend struct {
	Key     string // service ID + ":" + port
	Service string // service name
	Port    int
	Balance string
	Health  HealthSettings
	Pool    *lb.Pool
	Handler *lb.Handler

	stopHealth func()
}

// Route sends requests matching Pattern to Backend. A nil Pattern makes a
// default route that matches any host.
type Route struct {
	Pattern *HostPattern
	Backend *Backend
}

// Table is an immutable routing table; the server swaps whole tables.
type Table struct {
	exact    map[string][]*Route // by exact host
	wildcard []*Route            // host patterns with '*', most specific first
	any      []*Route            // patterns without host, then default routes
	Backends []*Backend          // every backend, sorted, for stats
	Routes   []*Route
}

// NewTable indexes routes for matching. Within a group, longer (more
// specific) patterns are tried first; ties keep the given order.
func NewTable(routes []*Route, backends []*Backend) *Table {
	t := &Table{exact: map[string][]*Route{}, Backends: backends, Routes: routes}
	for _, r := range routes {
		switch {
		case r.Pattern == nil || r.Pattern.Host == "":
			t.any = append(t.any, r)
		case strings.IndexByte(r.Pattern.Host, '*') >= 0:
			t.wildcard = append(t.wildcard, r)
		default:
			t.exact[r.Pattern.Host] = append(t.exact[r.Pattern.Host], r)
		}
	}
	specific := func(a, b *Route) int {
		if a.Pattern == nil || b.Pattern == nil {
			// default routes last
			return cmp.Compare(boolInt(a.Pattern == nil), boolInt(b.Pattern == nil))
		}
		if c := cmp.Compare(len(b.Pattern.Host), len(a.Pattern.Host)); c != 0 {
			return c
		}
		if c := cmp.Compare(len(b.Pattern.Path), len(a.Pattern.Path)); c != 0 {
			return c
		}
		return cmp.Compare(boolInt(a.Pattern.Port == 0), boolInt(b.Pattern.Port == 0))
	}
	for _, rs := range t.exact {
		slices.SortStableFunc(rs, specific)
	}
	slices.SortStableFunc(t.wildcard, specific)
	slices.SortStableFunc(t.any, specific)
	return t
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Match returns the route for a request, or nil. host is the Host header
// without port, port the port from it (80 when absent), path the URL path.
// Only http patterns match: the ingress does not terminate TLS.
func (t *Table) Match(host string, port int, path string) *Route {
	host = lowerASCII(host)
	for _, r := range t.exact[host] {
		if r.matches(host, port, path) {
			return r
		}
	}
	for _, r := range t.wildcard {
		if r.matches(host, port, path) {
			return r
		}
	}
	for _, r := range t.any {
		if r.matches(host, port, path) {
			return r
		}
	}
	return nil
}

func (r *Route) matches(host string, port int, path string) bool {
	p := r.Pattern
	if p == nil {
		return true
	}
	if p.Scheme != "http" || p.Port != 0 && p.Port != port {
		return false
	}
	if p.Host != "" && !glob(p.Host, host) {
		return false
	}
	return p.Path == "" || glob(p.Path, path)
}

// glob matches s against pattern where '*' is any run of bytes. Linear
// time, no allocation, no regexp.
func glob(pattern, s string) bool {
	px, sx := 0, 0
	star, mark := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			star, mark = px, sx
			px++
		case px < len(pattern) && pattern[px] == s[sx]:
			px++
			sx++
		case star >= 0:
			px, mark = star+1, mark+1
			sx = mark
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// lowerASCII lower-cases s, allocating only when it has upper case.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// splitHost splits a Host header into host and port (default 80) without
// allocating.
func splitHost(h string) (string, int) {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		port := 0
		for _, c := range h[i+1:] {
			if c < '0' || c > '9' || port > 65535 {
				return h, 80
			}
			port = port*10 + int(c-'0')
		}
		if port == 0 {
			port = 80
		}
		return strings.TrimSuffix(strings.TrimPrefix(h[:i], "["), "]"), port
	}
	return h, 80
}
