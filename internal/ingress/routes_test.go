package ingress

import (
	"testing"

	"github.com/swarmlab/swarmlab/internal/lb"
)

func TestGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*.example.com", "a.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "a.b.example.com", true},
		{"/api/*", "/api/", true},
		{"/api/*", "/api", false},
		{"/api/*", "/api/v1/x", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
		{"exact", "exact", true},
	}
	for _, tt := range tests {
		if got := glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("glob(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}

func TestTableMatch(t *testing.T) {
	t.Parallel()
	be := func(name string) *Backend { return &Backend{Service: name, Pool: lb.NewPool()} }
	pat := func(s string) *HostPattern {
		ps, err := ParseVirtualHost(s)
		if err != nil || len(ps) != 1 {
			t.Fatalf("%q: %v", s, err)
		}
		return &ps[0]
	}
	web, api, wild, static, def, port8080, tls := be("web"), be("api"), be("wild"), be("static"), be("default"), be("8080"), be("tls")
	tbl := NewTable([]*Route{
		{Backend: def},
		{Pattern: pat("*.example.com"), Backend: wild},
		{Pattern: pat("www.example.com"), Backend: web},
		{Pattern: pat("www.example.com/api/*"), Backend: api},
		{Pattern: pat("*/static/*"), Backend: static},
		{Pattern: pat("alt.example.org:8080"), Backend: port8080},
		{Pattern: pat("https://secure.example.org"), Backend: tls},
	}, nil)
	tests := []struct {
		host string
		port int
		path string
		want string // "" means no route
	}{
		{"www.example.com", 80, "/", "web"},
		{"WWW.Example.COM", 80, "/", "web"},
		{"www.example.com", 80, "/api/users", "api"},
		{"foo.example.com", 80, "/api/users", "wild"},
		{"other.org", 80, "/static/x.css", "static"},
		{"other.org", 80, "/", "default"},
		{"alt.example.org", 8080, "/", "8080"},
		{"alt.example.org", 80, "/", "default"},
		{"secure.example.org", 80, "/", "default"},
	}
	for _, tt := range tests {
		got := ""
		if r := tbl.Match(tt.host, tt.port, tt.path); r != nil {
			got = r.Backend.Service
		}
		if got != tt.want {
			t.Errorf("%s:%d%s -> %q, want %q", tt.host, tt.port, tt.path, got, tt.want)
		}
	}
	noDefault := NewTable([]*Route{{Pattern: pat("a.com"), Backend: web}}, nil)
	if r := noDefault.Match("b.com", 80, "/"); r != nil {
		t.Errorf("unknown host matched %s", r.Backend.Service)
	}
}

func TestSplitHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		host string
		port int
	}{
		{"a.com", "a.com", 80}, {"a.com:8080", "a.com", 8080}, {"[::1]:81", "::1", 81}, {"[::1]", "[::1]", 80}, {"a.com:x", "a.com:x", 80},
	}
	for _, tt := range tests {
		h, p := splitHost(tt.in)
		if h != tt.host || p != tt.port {
			t.Errorf("splitHost(%q) = %q %d", tt.in, h, p)
		}
	}
}
