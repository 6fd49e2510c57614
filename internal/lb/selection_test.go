package lb

import (
	"testing"
	"time"
)

func ups(addrs ...string) []*Upstream {
	out := make([]*Upstream, len(addrs))
	for i, a := range addrs {
		out[i] = NewUpstream(a)
	}
	return out
}

func TestSelectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy string
		setup  func(u []*Upstream)
		remote []string // one Select per entry
		want   []string // chosen addresses; "" for nil
	}{
		{name: "roundrobin cycles", policy: "roundrobin", remote: []string{"1.1.1.1:1", "1.1.1.1:1", "1.1.1.1:1", "1.1.1.1:1"}, want: []string{"b", "c", "a", "b"}},
		{name: "roundrobin skips down", policy: "roundrobin", setup: func(u []*Upstream) { u[1].SetHealthy(false) }, remote: []string{"x:1", "x:1", "x:1"}, want: []string{"c", "c", "a"}},
		{name: "roundrobin skips passive", policy: "", setup: func(u []*Upstream) { u[2].MarkDown(time.Minute) }, remote: []string{"x:1", "x:1"}, want: []string{"b", "a"}},
		{name: "none available", policy: "roundrobin", setup: func(u []*Upstream) {
			for _, x := range u {
				x.SetHealthy(false)
			}
		}, remote: []string{"x:1"}, want: []string{""}},
		{name: "leastconn picks idle", policy: "leastconn", setup: func(u []*Upstream) { u[0].active.Store(5); u[1].active.Store(1); u[2].active.Store(3) }, remote: []string{"x:1", "x:1"}, want: []string{"b", "b"}},
		{name: "leastconn skips down", policy: "leastconn", setup: func(u []*Upstream) { u[1].SetHealthy(false); u[0].active.Store(2); u[2].active.Store(4) }, remote: []string{"x:1"}, want: []string{"a"}},
		{name: "source sticks", policy: "source", remote: []string{"10.0.0.1:1000", "10.0.0.1:2000", "10.0.0.1:3000"}, want: []string{"c", "c", "c"}},
		{name: "source moves when down", policy: "source", setup: func(u []*Upstream) { u[2].SetHealthy(false) }, remote: []string{"10.0.0.1:1000"}, want: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSelector(tt.policy)
			if err != nil {
				t.Fatal(err)
			}
			u := ups("a", "b", "c")
			if tt.setup != nil {
				tt.setup(u)
			}
			for i, remote := range tt.remote {
				got := ""
				if x := s.Select(u, remote); x != nil {
					got = x.Addr
				}
				if got != tt.want[i] {
					t.Errorf("select %d: got %q, want %q", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestSourceSpreads(t *testing.T) {
	t.Parallel()
	u := ups("a", "b", "c")
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		seen[Source{}.Select(u, "10.0.0."+string(rune('0'+i%10))+string(rune('0'+i/10))+":5").Addr] = true
	}
	if len(seen) != 3 {
		t.Errorf("50 clients used %d of 3 upstreams", len(seen))
	}
}

func TestNewSelectorUnknown(t *testing.T) {
	t.Parallel()
	if _, err := NewSelector("random"); err == nil {
		t.Fatal("want error for unknown policy")
	}
}

func TestPoolSetKeepsState(t *testing.T) {
	t.Parallel()
	p := NewPool("a", "b")
	a := p.Upstreams()[0]
	a.SetHealthy(false)
	a.requests.Add(7)
	added, removed := p.Set([]string{"c", "a", "c"})
	if len(added) != 1 || added[0].Addr != "c" || len(removed) != 1 || removed[0].Addr != "b" {
		t.Fatalf("added %v removed %v", added, removed)
	}
	got := p.Upstreams()
	if len(got) != 2 || got[1] != a || a.Healthy() || a.requests.Load() != 7 {
		t.Fatalf("state of a kept upstream was lost: %+v", got)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	t.Parallel()
	var h Histogram
	for i := 1; i <= 100; i++ {
		h.Observe(time.Duration(i) * time.Millisecond)
	}
	q := h.Quantiles(0.5, 0.9, 0.99)
	want := []time.Duration{50 * time.Millisecond, 90 * time.Millisecond, 99 * time.Millisecond}
	for i := range q {
		if q[i] < want[i] || float64(q[i]) > float64(want[i])*1.3 {
			t.Errorf("q[%d] = %v, want about %v", i, q[i], want[i])
		}
	}
	if h.Count() != 100 {
		t.Errorf("count %d", h.Count())
	}
}
