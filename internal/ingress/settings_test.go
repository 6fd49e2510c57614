package ingress

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseVirtualHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []HostPattern
		wantErr bool
	}{
		{in: "", want: nil},
		{in: "web.example.com", want: []HostPattern{{Scheme: "http", Host: "web.example.com"}}},
		{in: "http://*.Example.com:80/api/*", want: []HostPattern{{Scheme: "http", Host: "*.example.com", Port: 80, Path: "/api/*"}}},
		{in: "a.com, https://b.com", want: []HostPattern{{Scheme: "http", Host: "a.com"}, {Scheme: "https", Host: "b.com"}}},
		{in: "ws://chat.local:8080", want: []HostPattern{{Scheme: "http", Host: "chat.local", Port: 8080}}},
		{in: "*", want: []HostPattern{{Scheme: "http"}}},
		{in: "*/static/*", want: []HostPattern{{Scheme: "http", Path: "/static/*"}}},
		{in: "ftp://a.com", wantErr: true},
		{in: "a.com:http", wantErr: true},
		{in: "a.com:0", wantErr: true},
		{in: "a b.com", wantErr: true},
		{in: "a.com/x y", wantErr: true},
		{in: "http://", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseVirtualHost(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: err %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseHealthCheck(t *testing.T) {
	t.Parallel()
	h, err := ParseHealthCheck("check inter 500 rise 1 fall 4 path /Health timeout 1s")
	if err != nil {
		t.Fatal(err)
	}
	c := h.Check
	if !h.Enabled || c.Interval != 500*time.Millisecond || c.Rise != 1 || c.Fall != 4 || c.Path != "/Health" || c.Timeout != time.Second {
		t.Fatalf("%+v", h)
	}
	if h, _ := ParseHealthCheck("none"); h.Enabled {
		t.Error("none must disable checks")
	}
	if h, _ := ParseHealthCheck(""); !reflect.DeepEqual(h, DefaultHealth) {
		t.Errorf("empty: %+v", h)
	}
	for _, bad := range []string{"inter", "inter soon", "rise 0", "fall x", "path health", "bogus 1", "inter 1"} {
		if _, err := ParseHealthCheck(bad); err == nil {
			t.Errorf("%q: want error", bad)
		}
	}
}

func TestParseSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     []string
		labels  map[string]string
		check   func(t *testing.T, s Settings)
		wantErr string
	}{
		{name: "not opted in", env: []string{"FOO=1"}, wantErr: ErrNotOptedIn.Error()},
		{name: "default route", env: []string{"SERVICE_PORTS=8080"}, check: func(t *testing.T, s Settings) {
			if !reflect.DeepEqual(s.Ports, []int{8080}) || s.VirtualHosts != nil || s.Balance != "roundrobin" || !s.Health.Enabled {
				t.Errorf("%+v", s)
			}
		}},
		{name: "label overrides env", env: []string{"SERVICE_PORTS=80", "BALANCE=source"},
			labels: map[string]string{"swarmlab.ingress.balance": "leastconn", "swarmlab.ingress.virtual_host": "a.com"},
			check: func(t *testing.T, s Settings) {
				if s.Balance != "leastconn" || len(s.VirtualHosts) != 1 {
					t.Errorf("%+v", s)
				}
			}},
		{name: "exclude ports", env: []string{"SERVICE_PORTS=80, 8080, 9090", "EXCLUDE_PORTS=8080"}, check: func(t *testing.T, s Settings) {
			if !reflect.DeepEqual(s.Ports, []int{80, 9090}) {
				t.Errorf("%v", s.Ports)
			}
		}},
		{name: "exclude all", env: []string{"SERVICE_PORTS=80", "EXCLUDE_PORTS=80"}, wantErr: "removes every port"},
		{name: "virtual host without ports", env: []string{"VIRTUAL_HOST=a.com"}, wantErr: "SERVICE_PORTS is not"},
		{name: "bad balance", env: []string{"SERVICE_PORTS=80", "BALANCE=random"}, wantErr: "BALANCE"},
		{name: "bad port", env: []string{"SERVICE_PORTS=eighty"}, wantErr: "SERVICE_PORTS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSettings(tt.env, tt.labels)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

func FuzzParseVirtualHost(f *testing.F) {
	for _, s := range []string{"a.com", "http://*.example.com:80/api/*", "https://x:443, y", "*/p", ":80", "a:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseVirtualHost(s)
		if err != nil {
			return
		}
		for _, p := range ps {
			if p.Port < 0 || p.Port > 65535 || p.Scheme != "http" && p.Scheme != "https" || strings.ToLower(p.Host) != p.Host {
				t.Fatalf("%q gave invalid %+v", s, p)
			}
			// The string form must parse back to the same pattern.
			again, err := ParseVirtualHost(p.String())
			if err != nil || len(again) != 1 || again[0] != p {
				t.Fatalf("%q: %+v does not round-trip via %q: %+v %v", s, p, p.String(), again, err)
			}
		}
	})
}

func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"80", "80, 8080", ",", "0", "65536", "1,1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePorts(s)
		if err != nil {
			return
		}
		if len(ps) == 0 {
			t.Fatal("no error and no port")
		}
		for _, p := range ps {
			if p < 1 || p > 65535 {
				t.Fatalf("%q gave port %d", s, p)
			}
		}
	})
}

func FuzzParseHealthCheck(f *testing.F) {
	for _, s := range []string{"check", "check inter 2000 rise 2 fall 3", "none", "path /h", "inter 2s timeout 1s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHealthCheck(s)
		if err != nil || !h.Enabled {
			return
		}
		c := h.Check
		if c.Interval <= 0 || c.Rise < 1 || c.Fall < 1 || c.Path != "" && c.Path[0] != '/' {
			t.Fatalf("%q gave %+v", s, c)
		}
	})
}

func FuzzParseBalance(f *testing.F) {
	for _, s := range []string{"roundrobin", "LEASTCONN", " source ", "", "random"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBalance(s)
		if err == nil && b != "roundrobin" && b != "leastconn" && b != "source" {
			t.Fatalf("%q gave %q", s, b)
		}
	})
}

func FuzzParseSettings(f *testing.F) {
	f.Add("80", "a.com", "leastconn", "check", "")
	f.Fuzz(func(t *testing.T, ports, vhost, balance, health, exclude string) {
		env := []string{"SERVICE_PORTS=" + ports, "VIRTUAL_HOST=" + vhost, "BALANCE=" + balance, "HEALTH_CHECK=" + health, "EXCLUDE_PORTS=" + exclude}
		s, err := ParseSettings(env, nil)
		if err != nil {
			if errors.Is(err, ErrNotOptedIn) && strings.TrimSpace(ports) != "" {
				t.Fatalf("ports %q but not opted in", ports)
			}
			return
		}
		if len(s.Ports) == 0 {
			t.Fatal("routed service without ports")
		}
	})
}

func TestStaticBackendsAndConfig(t *testing.T) {
	t.Parallel()
	c, err := FromEnv(func(k string) string {
		return map[string]string{"STATIC_BACKENDS": "http://127.0.0.1:18081, 10.0.0.2:80", "ACCESS_LOG": "false", "RESYNC_INTERVAL": "500ms"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.StaticBackends, []string{"127.0.0.1:18081", "10.0.0.2:80"}) || c.AccessLog || c.ResyncInterval != 500*time.Millisecond {
		t.Fatalf("%+v", c)
	}
	for _, env := range []map[string]string{
		{"STATIC_BACKENDS": "https://a:1"}, {"STATIC_BACKENDS": "nohost"}, {"STATS_AUTH": "nopass"},
		{"RESYNC_INTERVAL": "fast"}, {"RESYNC_INTERVAL": "500"}, {"LISTEN_ADDR": "80"}, {"ACCESS_LOG": "maybe"}, {"ACCESS_LOG": "off"},
	} {
		if _, err := FromEnv(func(k string) string { return env[k] }); err == nil {
			t.Errorf("%v: want error", env)
		}
	}
}
