// Package ingress is swarmlab's swarm-aware load balancer, the successor to
// dockercloud/haproxy: it discovers services through the Docker Engine API,
// routes by Host and path to their task IPs directly (no IPVS needed),
// checks backends' health, retries failed requests elsewhere, and serves a
// stats page and Prometheus metrics. Services opt in with dockercloud-era
// environment variables or swarmlab.ingress.* labels.
package ingress

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/swarmlab/swarmlab/internal/envconf"
	"github.com/swarmlab/swarmlab/internal/lb"
)

// DefaultStatsAuth is the tutorial's stats login; a warning is logged while
// it is in use.
const DefaultStatsAuth = "stats:stats"

// Config configures the ingress. FromEnv fills it from the environment.
type Config struct {
	// ListenAddr is where requests are served. Env LISTEN_ADDR. Default ":80".
	ListenAddr string
	// StatsPort serves the stats page, /stats.json and /metrics.
	// Env STATS_PORT. Default 1936.
	StatsPort int
	// StatsAuth is "user:password" for the stats port.
	// Env STATS_AUTH. Default "stats:stats".
	StatsAuth string
	// ResyncInterval is how often services and tasks are listed again (swarm
	// sends no task events). Env RESYNC_INTERVAL. Default 1s.
	ResyncInterval time.Duration
	// AccessLog logs one line per request. Env ACCESS_LOG (true/false). Default true.
	AccessLog bool
	// StaticBackends skips discovery and routes every request to these
	// host:port addresses. Env STATIC_BACKENDS (comma list; http:// allowed).
	StaticBackends []string
	// Networks limits routing to these networks (names or IDs) instead of
	// the ingress's own. Env INGRESS_NETWORKS.
	Networks []string
	// ConnectTimeout bounds connecting to a backend. Short, because a task on
	// a node that just stopped drops packets, and the request should move to
	// another task long before a client gives up. Env CONNECT_TIMEOUT. Default 1s.
	ConnectTimeout time.Duration
	// ReadTimeout bounds waiting for a backend's response headers.
	// Env READ_TIMEOUT. Default 60s.
	ReadTimeout time.Duration
	// IdleTimeout closes idle keep-alive connections (clients and backends).
	// Env IDLE_TIMEOUT. Default 90s.
	IdleTimeout time.Duration
	// ClientTimeout bounds reading a client's request, headers and body.
	// Env CLIENT_TIMEOUT. Default 60s.
	ClientTimeout time.Duration
	// TunnelTimeout closes an upgraded connection (WebSocket) idle this long
	// both ways. Env TUNNEL_TIMEOUT. Default 1h.
	TunnelTimeout time.Duration
	// WriteTimeout bounds a whole response to a client. Env WRITE_TIMEOUT.
	// Default 5m (long downloads need more).
	WriteTimeout time.Duration
	// HedgeDelay races a backend connect still pending after this against
	// another backend's (see lb.TransportConfig). Env HEDGE_DELAY: a
	// duration, auto or off. Default auto: 8 times the average connect.
	HedgeDelay time.Duration
	// UnackedTimeout drops a backend connection whose sent bytes stay
	// unacknowledged this long, so that a request to a task whose node lost
	// power is sent elsewhere. Env UNACKED_TIMEOUT: a duration, auto or off.
	// Default auto: 100ms.
	UnackedTimeout time.Duration
	// DrainTimeout bounds the wait for in-flight requests at shutdown.
	// Env DRAIN_TIMEOUT. Default 10s.
	DrainTimeout time.Duration
}

// Defaults returns a Config with every default filled in.
func Defaults() Config {
	return Config{
		ListenAddr:     ":80",
		StatsPort:      1936,
		StatsAuth:      DefaultStatsAuth,
		ResyncInterval: time.Second,
		AccessLog:      true,
		ConnectTimeout: time.Second,
		ReadTimeout:    60 * time.Second,
		IdleTimeout:    90 * time.Second,
		ClientTimeout:  60 * time.Second,
		TunnelTimeout:  time.Hour,
		WriteTimeout:   5 * time.Minute,
		DrainTimeout:   10 * time.Second,
	}
}

// EnvVars are the environment variables FromEnv reads (see package
// envconf for how they are written).
type EnvVars struct {
	ListenAddr     string        `env:"LISTEN_ADDR" envDefault:":80" desc:"address requests are served on"`
	StatsPort      int           `env:"STATS_PORT" envDefault:"1936" desc:"port of the stats page, /stats.json and /metrics; 0 turns it off"`
	StatsAuth      string        `env:"STATS_AUTH" envDefault:"stats:stats" desc:"user:password for the stats port"`
	ResyncInterval time.Duration `env:"RESYNC_INTERVAL" envDefault:"1s" desc:"how often services and tasks are listed again (swarm sends no task events)"`
	AccessLog      bool          `env:"ACCESS_LOG" envDefault:"true" desc:"log one line per request"`
	StaticBackends string        `env:"STATIC_BACKENDS" desc:"skip discovery and route every request to these host:port addresses (comma list; http:// allowed)"`
	Networks       string        `env:"INGRESS_NETWORKS" desc:"route on these networks (names or IDs, comma list) instead of the ingress's own"`
	ConnectTimeout time.Duration `env:"CONNECT_TIMEOUT" envDefault:"1s" desc:"bound on connecting to a backend"`
	ReadTimeout    time.Duration `env:"READ_TIMEOUT" envDefault:"60s" desc:"bound on waiting for a backend's response headers"`
	IdleTimeout    time.Duration `env:"IDLE_TIMEOUT" envDefault:"90s" desc:"idle keep-alive connections (clients and backends) are closed after this"`
	ClientTimeout  time.Duration `env:"CLIENT_TIMEOUT" envDefault:"60s" desc:"bound on reading a client's request, headers and body"`
	WriteTimeout   time.Duration `env:"WRITE_TIMEOUT" envDefault:"5m" desc:"bound on a whole response to a client"`
	HedgeDelay     string        `env:"HEDGE_DELAY" envDefault:"auto" desc:"race a backend connect still pending after this against another backend's: a duration, auto (8 times the average connect) or off"`
	UnackedTimeout string        `env:"UNACKED_TIMEOUT" envDefault:"auto" desc:"drop a backend connection whose sent bytes stay unacknowledged this long: a duration, auto (100ms) or off"`
	DrainTimeout   time.Duration `env:"DRAIN_TIMEOUT" envDefault:"10s" desc:"bound on the wait for requests in flight at shutdown"`
	TunnelTimeout  time.Duration `env:"TUNNEL_TIMEOUT" envDefault:"1h" desc:"an upgraded connection (WebSocket) with no byte either way this long is closed"`
}

// FromEnv reads the configuration through getenv and validates it.
func FromEnv(getenv func(string) string) (Config, error) {
	var v EnvVars
	if err := envconf.Parse(&v, getenv); err != nil {
		return Defaults(), err
	}
	c := Config{ListenAddr: v.ListenAddr, StatsPort: v.StatsPort, StatsAuth: v.StatsAuth, ResyncInterval: v.ResyncInterval,
		AccessLog: v.AccessLog, ConnectTimeout: v.ConnectTimeout, ReadTimeout: v.ReadTimeout, IdleTimeout: v.IdleTimeout,
		ClientTimeout: v.ClientTimeout, WriteTimeout: v.WriteTimeout, DrainTimeout: v.DrainTimeout, TunnelTimeout: v.TunnelTimeout}
	var errs []error
	for env, t := range map[string]struct {
		v   string
		dst *time.Duration
	}{"HEDGE_DELAY": {v.HedgeDelay, &c.HedgeDelay}, "UNACKED_TIMEOUT": {v.UnackedTimeout, &c.UnackedTimeout}} {
		d, err := lb.ParseTuning(t.v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%w", env, err))
		}
		*t.dst = d
	}
	if strings.TrimSpace(v.StaticBackends) != "" {
		bs, err := ParseStaticBackends(v.StaticBackends)
		if err != nil {
			errs = append(errs, err)
		}
		c.StaticBackends = bs
	}
	for _, n := range strings.Split(v.Networks, ",") {
		if n = strings.TrimSpace(n); n != "" {
			c.Networks = append(c.Networks, n)
		}
	}
	// Report every problem at once, not one per start attempt.
	return c, errors.Join(append(errs, c.Validate())...)
}

// ParseStaticBackends parses "http://127.0.0.1:18081, 10.0.0.2:80" into
// host:port addresses.
func ParseStaticBackends(s string) ([]string, error) {
	var out []string
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		hostport := e
		if strings.Contains(e, "://") {
			u, err := url.Parse(e)
			if err != nil || u.Scheme != "http" || (u.Path != "" && u.Path != "/") {
				return nil, fmt.Errorf("STATIC_BACKENDS entry %q: want http://host:port or host:port", e)
			}
			hostport = u.Host
		}
		if _, port, err := net.SplitHostPort(hostport); err != nil || port == "" {
			return nil, fmt.Errorf("STATIC_BACKENDS entry %q: want host:port, such as 127.0.0.1:8080", e)
		}
		out = append(out, hostport)
	}
	if len(out) == 0 {
		return nil, errors.New("STATIC_BACKENDS has no address")
	}
	return out, nil
}

// Validate reports configuration a person must fix before starting.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		errs = append(errs, fmt.Errorf("LISTEN_ADDR=%q: want [host]:port such as :80", c.ListenAddr))
	}
	if c.StatsPort < 0 || c.StatsPort > 65535 {
		errs = append(errs, fmt.Errorf("STATS_PORT=%d: want a port between 1 and 65535, or 0 to disable", c.StatsPort))
	}
	if u, p, ok := strings.Cut(c.StatsAuth, ":"); !ok || u == "" || p == "" {
		errs = append(errs, errors.New("STATS_AUTH must be user:password"))
	}
	for name, d := range map[string]time.Duration{
		"RESYNC_INTERVAL": c.ResyncInterval, "CONNECT_TIMEOUT": c.ConnectTimeout, "READ_TIMEOUT": c.ReadTimeout,
		"IDLE_TIMEOUT": c.IdleTimeout, "CLIENT_TIMEOUT": c.ClientTimeout, "WRITE_TIMEOUT": c.WriteTimeout,
		"DRAIN_TIMEOUT": c.DrainTimeout, "TUNNEL_TIMEOUT": c.TunnelTimeout,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive", name))
		}
	}
	return errors.Join(errs...)
}
