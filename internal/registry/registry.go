package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/distribution/distribution/v3/registry/storage"

	"github.com/swarmlab/swarmlab/internal/envconf"
	"github.com/swarmlab/swarmlab/internal/serve"
)

// Config configures the registry server. Every field states its default,
// which New fills in.
type Config struct {
	// Addr is the address to listen on. Default ":5000".
	Addr string

	// DataDir is where blobs and manifests are stored. Default
	// "/var/lib/registry", the usual volume mount point of registry images.
	DataDir string

	// ShutdownTimeout bounds how long a stop waits for pushes and pulls in
	// flight. Default 10s.
	ShutdownTimeout time.Duration
}

// EnvVars are the environment variables FromEnv reads (see package
// envconf for how they are written).
type EnvVars struct {
	Addr    string `env:"REGISTRY_ADDR" envDefault:":5000" desc:"address to listen on"`
	DataDir string `env:"REGISTRY_DATA" envDefault:"/var/lib/registry" desc:"directory for blobs and manifests"`
}

// Environment variables read by FromEnv.
const (
	EnvAddr = "REGISTRY_ADDR"
	EnvData = "REGISTRY_DATA"
)

const (
	defaultAddr            = ":5000"
	defaultDataDir         = "/var/lib/registry"
	defaultShutdownTimeout = 10 * time.Second

	// Large layers go through slowly on a busy lab machine, so only the
	// headers get a deadline, not whole requests.
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
)

// FromEnv reads REGISTRY_ADDR and REGISTRY_DATA through getenv, and checks
// them.
func FromEnv(getenv func(string) string) (Config, error) {
	var v EnvVars
	if err := envconf.Parse(&v, getenv); err != nil {
		return Config{}, err
	}
	cfg := Config{Addr: v.Addr, DataDir: v.DataDir}
	var errs []error
	if err := serve.CheckAddr(cfg.Addr); err != nil {
		errs = append(errs, fmt.Errorf("%s=%q: %w", EnvAddr, cfg.Addr, err))
	}
	if !strings.HasPrefix(cfg.DataDir, "/") {
		errs = append(errs, fmt.Errorf("%s=%q: want an absolute path", EnvData, cfg.DataDir))
	}
	return cfg, errors.Join(errs...)
}

func (cfg Config) withDefaults() Config {
	if cfg.Addr == "" {
		cfg.Addr = defaultAddr
	}
	if cfg.DataDir == "" {
		cfg.DataDir = defaultDataDir
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = defaultShutdownTimeout
	}
	return cfg
}

// Validate reports settings that cannot work, in words a person can act on.
// Empty fields are valid: they take their defaults.
func (cfg Config) Validate() error {
	errs := []error{serve.CheckAddr(cfg.Addr), serve.Options{ShutdownTimeout: cfg.ShutdownTimeout}.Validate()}
	if cfg.DataDir != "" && !strings.HasPrefix(cfg.DataDir, "/") {
		// A relative one would move with the working directory.
		errs = append(errs, fmt.Errorf("data directory %q must be an absolute path", cfg.DataDir))
	}
	return errors.Join(errs...)
}

// Uploads that are never finished (a push interrupted for good) leave
// their bytes behind; like distribution's own registry, purge those a
// week old, once a day.
const (
	purgeAge      = 7 * 24 * time.Hour
	purgeInterval = 24 * time.Hour
)

// Registry is the registry's API over its storage, without its listener:
// serve Handler yourself, or call Serve.
type Registry struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler

	stop   context.CancelFunc
	purged chan struct{} // closed when the purger has stopped
}

// New prepares the registry for cfg: it creates the data directory and
// opens the storage on it. Close releases it. A nil logger discards logs.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Registry, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Fail here, with a plain message, rather than on the first push.
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create the data directory: %w", err)
	}
	routeStorageLogs(logger)
	driver := newFSDriver(cfg.DataDir)
	ns, err := storage.NewRegistry(ctx, driver, storage.EnableDelete)
	if err != nil {
		return nil, fmt.Errorf("failed to open the registry storage: %w", err)
	}
	api := &api{ns: ns, driver: driver, log: logger}
	pctx, stop := context.WithCancel(ctx)
	r := &Registry{cfg: cfg, log: logger, handler: alive(api), stop: stop, purged: make(chan struct{})}
	go r.purge(pctx, driver)
	return r, nil
}

// purge removes stale uploads every purgeInterval until ctx is done.
func (r *Registry) purge(ctx context.Context, driver *fsDriver) {
	defer close(r.purged)
	t := time.NewTicker(purgeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		deleted, errs := storage.PurgeUploads(ctx, driver, time.Now().Add(-purgeAge), true)
		if len(deleted) > 0 || len(errs) > 0 {
			r.log.Info("purged stale uploads", "files", len(deleted), "errors", len(errs))
		}
	}
}

// alive answers GET / with 200, so that a container health check or a
// person with curl can tell the registry is up without knowing its API.
func alive(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.Header().Set("Cache-Control", "no-cache")
			w.WriteHeader(http.StatusOK)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Handler returns the registry's HTTP handler (the /v2/ API, and / for
// liveness).
func (r *Registry) Handler() http.Handler { return r.handler }

// Close stops the registry's background work (the upload purger).
func (r *Registry) Close() error {
	r.stop()
	<-r.purged
	return nil
}

// Serve serves on ln until ctx is done, then stops accepting and waits up
// to ShutdownTimeout for requests in flight. It closes the registry. A clean
// stop returns nil.
func (r *Registry) Serve(ctx context.Context, ln net.Listener) error {
	return r.serve(ctx, serve.Endpoint{Listener: ln})
}

func (r *Registry) serve(ctx context.Context, ep serve.Endpoint) error {
	defer func() {
		if err := r.Close(); err != nil {
			r.log.Warn("closing the registry", "err", err)
		}
	}()
	ep.Name = "registry"
	ep.Server = &http.Server{
		Handler:           r.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(r.log.Handler(), slog.LevelWarn),
	}
	ep.Attrs = []any{"data", r.cfg.DataDir}
	return serve.Run(ctx, serve.Options{Logger: r.log, ShutdownTimeout: r.cfg.ShutdownTimeout}, ep)
}

// Run serves the registry described by cfg until ctx is done, then shuts
// it down gracefully.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	// The app's background work (upload purging) lives until Close, not
	// until ctx is done, so that it outlasts the requests being drained.
	r, err := New(context.WithoutCancel(ctx), cfg, logger)
	if err != nil {
		return err
	}
	return r.serve(ctx, serve.Endpoint{Addr: r.cfg.Addr})
}
