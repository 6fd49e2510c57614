// Package proxy is the lab's nginx role (image swtest/nginx): a reverse
// proxy in front of one swarm service, configured from the environment like
// the tutorial's nginx+entrykit image. It resolves tasks.<service> so that it
// balances over every task itself, with or without IPVS.
package proxy

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/swarmlab/swarmlab/internal/envconf"
	"github.com/swarmlab/swarmlab/internal/lb"
)

// Config configures the proxy. FromEnv fills it from the environment.
type Config struct {
	// BackendHost is the upstream service as host:port, e.g.
	// "swtest_api:8080". Env BACKEND_HOST. Required.
	BackendHost string
	// ListenPort is the port to listen on. Env SERVICE_PORTS. Default 80.
	ListenPort int
	// ConnectTimeout bounds connecting to a backend. Short, because a task on
	// a node that just stopped drops packets, and the request should move to
	// another task long before a client gives up.
	// Env PROXY_CONNECT_TIMEOUT. Default 1s.
	ConnectTimeout time.Duration
	// ReadTimeout bounds the wait for a backend's response headers.
	// Env PROXY_READ_TIMEOUT. Default 60s (nginx's proxy_read_timeout).
	ReadTimeout time.Duration
	// IdleTimeout closes idle keep-alive connections, client and backend
	// side. Env PROXY_IDLE_TIMEOUT. Default 75s (nginx's keepalive_timeout).
	IdleTimeout time.Duration
	// ResolveInterval is how often BackendHost is looked up again.
	// Env RESOLVE_INTERVAL. Default 2s.
	ResolveInterval time.Duration
	// AccessLog writes one nginx-style line per request. Env ACCESS_LOG
	// ("off" disables). Default on.
	AccessLog bool
	// HedgeDelay and UnackedTimeout: see lb.TransportConfig.
	// Env PROXY_HEDGE_DELAY, PROXY_UNACKED_TIMEOUT: a duration, auto or off.
	// Default auto.
	HedgeDelay, UnackedTimeout time.Duration
	// TunnelTimeout closes an upgraded connection (WebSocket) idle this long
	// both ways. Env PROXY_TUNNEL_TIMEOUT. Default 1h.
	TunnelTimeout time.Duration
	// DrainTimeout bounds the wait for in-flight requests at shutdown.
	// Default 10s.
	DrainTimeout time.Duration
}

// Defaults returns a Config with every default filled in.
func Defaults() Config {
	return Config{
		ListenPort:      80,
		ConnectTimeout:  time.Second,
		ReadTimeout:     60 * time.Second,
		IdleTimeout:     75 * time.Second,
		ResolveInterval: 2 * time.Second,
		AccessLog:       true,
		DrainTimeout:    10 * time.Second,
		TunnelTimeout:   time.Hour,
	}
}

// EnvVars are the environment variables FromEnv reads (see package
// envconf for how they are written).
type EnvVars struct {
	BackendHost     string        `env:"BACKEND_HOST" desc:"the upstream service as host:port, such as swtest_api:8080 (required)"`
	ListenPort      int           `env:"SERVICE_PORTS" envDefault:"80" desc:"port to listen on"`
	ConnectTimeout  time.Duration `env:"PROXY_CONNECT_TIMEOUT" envDefault:"1s" desc:"bound on connecting to a backend"`
	ReadTimeout     time.Duration `env:"PROXY_READ_TIMEOUT" envDefault:"60s" desc:"bound on waiting for a backend's response headers (nginx's proxy_read_timeout)"`
	IdleTimeout     time.Duration `env:"PROXY_IDLE_TIMEOUT" envDefault:"75s" desc:"idle keep-alive connections are closed after this (nginx's keepalive_timeout)"`
	ResolveInterval time.Duration `env:"RESOLVE_INTERVAL" envDefault:"2s" desc:"how often BACKEND_HOST is looked up again"`
	TunnelTimeout   time.Duration `env:"PROXY_TUNNEL_TIMEOUT" envDefault:"1h" desc:"an upgraded connection (WebSocket) with no byte either way this long is closed"`
	AccessLog       bool          `env:"ACCESS_LOG" envDefault:"true" desc:"log one nginx-style line per request"`
	HedgeDelay      string        `env:"PROXY_HEDGE_DELAY" envDefault:"auto" desc:"race a backend connect still pending after this against another backend's: a duration, auto or off"`
	UnackedTimeout  string        `env:"PROXY_UNACKED_TIMEOUT" envDefault:"auto" desc:"drop a backend connection whose sent bytes stay unacknowledged this long: a duration, auto or off"`
}

// FromEnv reads the configuration through getenv (os.Getenv in production)
// and validates it.
func FromEnv(getenv func(string) string) (Config, error) {
	var v EnvVars
	if err := envconf.Parse(&v, getenv); err != nil {
		return Defaults(), err
	}
	c := Defaults()
	c.BackendHost, c.ListenPort, c.AccessLog = v.BackendHost, v.ListenPort, v.AccessLog
	c.ConnectTimeout, c.ReadTimeout, c.IdleTimeout, c.ResolveInterval, c.TunnelTimeout = v.ConnectTimeout, v.ReadTimeout, v.IdleTimeout, v.ResolveInterval, v.TunnelTimeout
	var errs []error
	for env, t := range map[string]struct {
		v   string
		dst *time.Duration
	}{"PROXY_HEDGE_DELAY": {v.HedgeDelay, &c.HedgeDelay}, "PROXY_UNACKED_TIMEOUT": {v.UnackedTimeout, &c.UnackedTimeout}} {
		d, err := lb.ParseTuning(t.v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%w", env, err))
		}
		*t.dst = d
	}
	// Report every problem at once, not one per start attempt.
	return c, errors.Join(append(errs, c.Validate())...)
}

// Validate reports configuration a person must fix before the proxy can
// start.
func (c Config) Validate() error {
	var errs []error
	if err := validateBackend(c.BackendHost); err != nil {
		errs = append(errs, err)
	}
	if c.ListenPort < 1 || c.ListenPort > 65535 {
		errs = append(errs, fmt.Errorf("SERVICE_PORTS=%d: want a port between 1 and 65535", c.ListenPort))
	}
	for name, d := range map[string]time.Duration{
		"PROXY_CONNECT_TIMEOUT": c.ConnectTimeout, "PROXY_READ_TIMEOUT": c.ReadTimeout,
		"PROXY_IDLE_TIMEOUT": c.IdleTimeout, "RESOLVE_INTERVAL": c.ResolveInterval,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive", name))
		}
	}
	return errors.Join(errs...)
}

func validateBackend(h string) error {
	const example = `set BACKEND_HOST to the service and port, such as BACKEND_HOST=swtest_api:8080`
	if h == "" {
		return fmt.Errorf("BACKEND_HOST is empty: %s", example)
	}
	if strings.Contains(h, "://") || strings.ContainsAny(h, "/?#@ ") {
		return fmt.Errorf("BACKEND_HOST=%q must be host:port only, without scheme, path or spaces: %s", h, example)
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		return fmt.Errorf("BACKEND_HOST=%q has no port: %s", h, example)
	}
	if host == "" {
		return fmt.Errorf("BACKEND_HOST=%q has no host: %s", h, example)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("BACKEND_HOST=%q: port %q is not a number between 1 and 65535", h, port)
	}
	return nil
}
