package api

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/swarmlab/swarmlab/internal/envconf"
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

// EnvVars are the environment variables FromEnv reads (see package
// envconf for how they are written).
type EnvVars struct {
	Port            int           `env:"PORT" envDefault:"8080" desc:"port to listen on"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"10s" desc:"how long a stop waits for requests in flight"`
	DrainDelay      time.Duration `env:"DRAIN_DELAY" envDefault:"0s" desc:"how long /healthz answers 503 before the listener closes"`
	Node            string        `env:"SWARM_NODE" desc:"the node it runs on: {{.Node.Hostname}} in the stack file"`
	Service         string        `env:"SWARM_SERVICE" desc:"its service: {{.Service.Name}}"`
	TaskSlot        int           `env:"SWARM_TASK_SLOT" desc:"its replica number: {{.Task.Slot}}"`
	Task            string        `env:"SWARM_TASK_NAME" desc:"its task: {{.Task.Name}}"`
	AccessLog       bool          `env:"ACCESS_LOG" envDefault:"true" desc:"log one line per request"`
}

const (
	defaultAddr            = ":8080"
	defaultShutdownTimeout = 10 * time.Second
)

// FromEnv reads the configuration from environment variables through
// getenv (os.Getenv in production, a map in tests).
func FromEnv(getenv func(string) string) (Config, error) {
	var v EnvVars
	if err := envconf.Parse(&v, getenv); err != nil {
		return Config{}, err
	}
	var errs []error
	if v.Port < 0 || v.Port > 65535 {
		errs = append(errs, fmt.Errorf("PORT=%d is not a port number (0-65535)", v.Port))
	}
	if v.TaskSlot < 0 {
		errs = append(errs, fmt.Errorf("SWARM_TASK_SLOT=%d is negative; set it to {{.Task.Slot}}", v.TaskSlot))
	}
	return Config{Addr: ":" + strconv.Itoa(v.Port), ShutdownTimeout: v.ShutdownTimeout, DrainDelay: v.DrainDelay,
		Node: v.Node, Service: v.Service, Task: v.Task, Slot: v.TaskSlot, NoAccessLog: !v.AccessLog}, errors.Join(errs...)
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
