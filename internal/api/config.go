package api

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/swarmlab/swarmlab/internal/serve"
)

// Config configures the demo API. The zero value is usable: every field
// states its default, and New fills them in.
type Config struct {
	// Addr is the address to listen on. Default ":8080".
	Addr string

	// ShutdownTimeout bounds how long Run waits for in-flight requests once
	// it is told to stop; requests still running after it are cut off.
	// Default 10s. Docker kills a task stop_grace_period (default 10s)
	// after SIGTERM, so keep stop_grace_period above DrainDelay plus this.
	ShutdownTimeout time.Duration

	// DrainDelay is how long Run keeps accepting requests after it starts
	// answering 503 on /healthz, so that a load balancer polling /healthz
	// stops sending before the listener closes. Default 0: close at once.
	DrainDelay time.Duration

	// Hostname is the container's hostname. Default os.Hostname().
	Hostname string

	// Node, Service, Task and Slot say where this replica runs. The stack
	// file fills them from swarm templates ({{.Node.Hostname}},
	// {{.Service.Name}}, {{.Task.Name}}, {{.Task.Slot}}). Default empty / 0.
	Node    string
	Service string
	Task    string
	Slot    int

	// NoAccessLog turns off the one line logged per request. Default false:
	// learners watch `docker service logs` to see the load being spread.
	NoAccessLog bool
}

// Environment variables read by FromEnv.
const (
	EnvPort            = "PORT"             // listen port, e.g. 8080
	EnvShutdownTimeout = "SHUTDOWN_TIMEOUT" // Go duration, e.g. 10s
	EnvDrainDelay      = "DRAIN_DELAY"      // Go duration, e.g. 2s
	EnvNode            = "SWARM_NODE"       // {{.Node.Hostname}}
	EnvService         = "SWARM_SERVICE"    // {{.Service.Name}}
	EnvTaskSlot        = "SWARM_TASK_SLOT"  // {{.Task.Slot}}
	EnvTask            = "SWARM_TASK_NAME"  // {{.Task.Name}}
	EnvAccessLog       = "ACCESS_LOG"       // "false" or "0" turns it off
)

const (
	defaultAddr            = ":8080"
	defaultShutdownTimeout = 10 * time.Second
)

// FromEnv reads the configuration from environment variables through
// getenv (os.Getenv in production, a map in tests). Unset variables leave
// the field at its zero value, that is, its default.
func FromEnv(getenv func(string) string) (Config, error) {
	var cfg Config
	var errs []error
	if p := getenv(EnvPort); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s=%q is not a port number (0-65535)", EnvPort, p))
		} else {
			cfg.Addr = ":" + p
		}
	}
	for _, d := range []struct {
		env string
		dst *time.Duration
	}{{EnvShutdownTimeout, &cfg.ShutdownTimeout}, {EnvDrainDelay, &cfg.DrainDelay}} {
		v := getenv(d.env)
		if v == "" {
			continue
		}
		dur, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q is not a duration such as 10s", d.env, v))
			continue
		}
		*d.dst = dur
	}
	cfg.Node = getenv(EnvNode)
	cfg.Service = getenv(EnvService)
	cfg.Task = getenv(EnvTask)
	if s := getenv(EnvTaskSlot); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q is not an integer; set it to {{.Task.Slot}}", EnvTaskSlot, s))
		}
		cfg.Slot = n
	}
	switch getenv(EnvAccessLog) {
	case "false", "0", "off", "no":
		cfg.NoAccessLog = true
	}
	return cfg, errors.Join(errs...)
}

// withDefaults returns cfg with every unset field set to its default.
func (cfg Config) withDefaults() Config {
	if cfg.Addr == "" {
		cfg.Addr = defaultAddr
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = defaultShutdownTimeout
	}
	if cfg.Hostname == "" {
		// A missing hostname only makes /api/info less telling; not fatal.
		cfg.Hostname, _ = os.Hostname()
	}
	return cfg
}

// Validate reports settings that cannot work, in words a person can act on.
func (cfg Config) Validate() error {
	errs := []error{
		serve.CheckAddr(cfg.Addr),
		serve.Options{ShutdownTimeout: cfg.ShutdownTimeout, DrainDelay: cfg.DrainDelay}.Validate(),
	}
	if cfg.Slot < 0 {
		errs = append(errs, fmt.Errorf("task slot %d is negative", cfg.Slot))
	}
	return errors.Join(errs...)
}
