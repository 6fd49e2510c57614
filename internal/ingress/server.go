package ingress

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/swarmlab/swarmlab/internal/lb"
	"github.com/swarmlab/swarmlab/internal/serve"
)

// Server is the ingress: the routing handler, its stats port, and the
// discovery loop that keeps the routing table current.
type Server struct {
	cfg       Config
	logger    *slog.Logger
	access    *slog.Logger // nil when access logs are off
	accessBuf *lineBuffer
	disc      *Discovery
	transport *lb.Transport

	table      atomic.Pointer[Table]
	swaps      atomic.Uint64
	syncErrors atomic.Uint64

	mu        sync.Mutex          // serialises Apply
	backends  map[string]*Backend // by Backend.Key, owned by Apply
	warned    map[string]bool
	healthCtx context.Context
	stopAll   context.CancelFunc
}

// New returns an ingress for cfg. Access-log lines go to accessLog (one
// slog text line per request). api may be nil in static mode.
func New(cfg Config, logger *slog.Logger, accessLog io.Writer, api DockerAPI) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.StaticBackends) == 0 && api == nil {
		return nil, errors.New("no Docker API client and no STATIC_BACKENDS: mount /var/run/docker.sock or set STATIC_BACKENDS")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	hostname, _ := os.Hostname()
	s := &Server{
		cfg:      cfg,
		logger:   logger,
		disc:     &Discovery{API: api, Hostname: hostname, Networks: cfg.Networks, Logger: logger.WithGroup("discovery")},
		backends: map[string]*Backend{},
		warned:   map[string]bool{},
	}
	s.transport = lb.NewTransport(s.transportConfig())
	s.healthCtx, s.stopAll = context.WithCancel(context.Background())
	if cfg.AccessLog && accessLog != nil {
		// Buffered and flushed often: a write(2) per request would cost
		// more than the proxying itself.
		s.accessBuf = newLineBuffer(accessLog, 64<<10)
		s.access = slog.New(slog.NewTextHandler(s.accessBuf, nil))
	}
	s.table.Store(NewTable(nil, nil))
	return s, nil
}

// Table returns the routing table in use.
func (s *Server) Table() *Table { return s.table.Load() }

// Apply builds a routing table for services and swaps it in atomically.
// Backends (pools with their upstreams' health and counters) are reused
// for service ports that remain, so in-flight requests and keep-alive
// connections are not disturbed.
func (s *Server) Apply(services []Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[string]*Backend, len(s.backends))
	var routes []*Route
	var backends []*Backend
	defaultBy := ""
	for _, svc := range services {
		byPort := map[int]*Backend{}
		for _, port := range svc.Settings.Ports {
			b := s.backend(svc, port)
			next[b.Key] = b
			byPort[port] = b
			backends = append(backends, b)
		}
		if len(svc.Settings.Ports) == 0 {
			continue
		}
		first := byPort[svc.Settings.Ports[0]]
		if len(svc.Settings.VirtualHosts) == 0 {
			if defaultBy != "" {
				s.warnOnce("default:"+svc.Name, "two services without VIRTUAL_HOST; the first by name gets the default route", "service", svc.Name, "default", defaultBy)
				continue
			}
			defaultBy = svc.Name
			routes = append(routes, &Route{Backend: first})
			continue
		}
		for i := range svc.Settings.VirtualHosts {
			p := svc.Settings.VirtualHosts[i]
			if p.Scheme == "https" {
				s.warnOnce("https:"+svc.Name+p.String(), "VIRTUAL_HOST entry ignored: the ingress does not terminate TLS", "service", svc.Name, "entry", p.String())
				continue
			}
			b := first
			if pb, ok := byPort[p.Port]; ok {
				b = pb
			}
			routes = append(routes, &Route{Pattern: &p, Backend: b})
		}
	}
	s.table.Store(NewTable(routes, backends))
	s.swaps.Add(1)
	for key, b := range s.backends {
		if next[key] == nil && b.stopHealth != nil {
			b.stopHealth()
		}
	}
	s.backends = next
}

// backend returns the backend for a service port, reusing the existing
// one; a changed BALANCE or HEALTH_CHECK keeps the pool.
func (s *Server) backend(svc Service, port int) *Backend {
	key := svc.ID + ":" + strconv.Itoa(port)
	b := s.backends[key]
	st := svc.Settings
	if b != nil && b.Balance == st.Balance && reflect.DeepEqual(b.Health, st.Health) {
		b.Pool.Set(svc.Endpoints[port])
		return b
	}
	pool := lb.NewPool()
	if b != nil {
		pool = b.Pool
		if b.stopHealth != nil {
			b.stopHealth()
		}
	}
	pool.Set(svc.Endpoints[port])
	sel, err := lb.NewSelector(st.Balance)
	if err != nil { // ParseSettings checked it already
		sel = &lb.RoundRobin{}
	}
	nb := &Backend{Key: key, Service: svc.Name, Port: port, Balance: st.Balance, Health: st.Health, Pool: pool}
	nb.Handler = &lb.Handler{Pool: pool, Selector: sel, Transport: s.transport}
	if s.access != nil {
		name := svc.Name
		nb.Handler.Done = func(r *lb.RequestInfo, res *lb.Result) { s.logAccess(r, name, res) }
	}
	if st.Health.Enabled {
		ctx, cancel := context.WithCancel(s.healthCtx)
		nb.stopHealth = cancel
		go st.Health.Check.Run(ctx, pool, s.logger.With("service", svc.Name, "port", port))
	}
	return nb
}

func (s *Server) warnOnce(key, msg string, args ...any) {
	if !s.warned[key] {
		s.warned[key] = true
		s.logger.Warn(msg, args...)
	}
}

// route picks the handler for a request's host and canonical path; nil
// answers 404.
func (s *Server) route(host, path string) *lb.Handler {
	h, port := splitHost(host)
	if rt := s.table.Load().Match(h, port, path); rt != nil {
		return rt.Backend.Handler
	}
	return nil
}

// notFound answers a request that no route matches.
func (s *Server) notFound(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	ctx.Response.Header.SetContentType("text/plain; charset=utf-8")
	ctx.SetStatusCode(fasthttp.StatusNotFound)
	ctx.SetBodyString("404 Not Found: no service for this host and path\n")
	if s.access != nil {
		s.logAccess(lb.NewRequestInfo(ctx), "", &lb.Result{Status: fasthttp.StatusNotFound, Duration: time.Since(start)})
	}
}

func (s *Server) logAccess(r *lb.RequestInfo, service string, res *lb.Result) {
	s.access.LogAttrs(context.Background(), slog.LevelInfo, "request",
		slog.String("remote", r.RemoteAddr),
		slog.String("method", r.Method),
		slog.String("host", r.Host),
		slog.String("uri", r.URI),
		slog.Int("status", res.Status),
		slog.Int64("bytes", res.Bytes),
		slog.String("service", service),
		slog.String("upstream", res.Upstream),
		slog.Int("tries", res.Tries),
		slog.Duration("rt", res.Duration),
	)
}

// Sync lists services once and applies them.
func (s *Server) Sync(ctx context.Context) error {
	svcs, err := s.disc.Services(ctx)
	if err != nil {
		s.syncErrors.Add(1)
		return err
	}
	s.Apply(svcs)
	return nil
}

// Run listens on ListenAddr and StatsPort and serves until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	eps := []serve.Endpoint{{Addr: s.cfg.ListenAddr}}
	if s.cfg.StatsPort > 0 {
		eps = append(eps, serve.Endpoint{Addr: ":" + strconv.Itoa(s.cfg.StatsPort)})
	}
	return s.serve(ctx, eps)
}

// Serve serves requests on ln and the stats page on statsLn (may be nil)
// until ctx ends, then drains in-flight requests.
func (s *Server) Serve(ctx context.Context, ln, statsLn net.Listener) error {
	eps := []serve.Endpoint{{Listener: ln}}
	if statsLn != nil {
		eps = append(eps, serve.Endpoint{Listener: statsLn})
	}
	return s.serve(ctx, eps)
}

// serve fills in the endpoints' servers (the ingress, then the stats page)
// and runs them with discovery until ctx ends.
func (s *Server) serve(ctx context.Context, eps []serve.Endpoint) error {
	defer s.stopAll()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.accessBuf != nil {
		go s.accessBuf.flushEvery(ctx, 200*time.Millisecond)
		defer s.accessBuf.Flush()
	}
	if len(s.cfg.StaticBackends) > 0 {
		s.Apply([]Service{{ID: "static", Name: "static", Settings: Settings{Ports: []int{0}, Balance: lb.PolicyRoundRobin},
			Endpoints: map[int][]string{0: s.cfg.StaticBackends}}})
		s.logger.Info("static mode: discovery off", "backends", s.cfg.StaticBackends)
	} else {
		go s.syncLoop(ctx)
	}
	eps[0].Name = "ingress"
	eps[0].Server = &lb.Server{
		Router:            s.route,
		NotFound:          s.notFound,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.ClientTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		Logger:            s.logger,
	}
	if len(eps) > 1 {
		if s.cfg.StatsAuth == DefaultStatsAuth {
			s.logger.Warn("stats page uses the default login stats:stats; set STATS_AUTH=user:password")
		}
		eps[1].Name = "stats"
		eps[1].Server = &http.Server{Handler: s.StatsHandler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10,
			ErrorLog: slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug)}
	}
	return serve.Run(ctx, serve.Options{Logger: s.logger, ShutdownTimeout: s.cfg.DrainTimeout}, eps...)
}

func (s *Server) transportConfig() lb.TransportConfig {
	return lb.TransportConfig{
		DialTimeout:           s.cfg.ConnectTimeout,
		ResponseHeaderTimeout: s.cfg.ReadTimeout,
		IdleConnTimeout:       s.cfg.IdleTimeout,
		HedgeDelay:            s.cfg.HedgeDelay,
		UnackedTimeout:        s.cfg.UnackedTimeout,
		TunnelTimeout:         s.cfg.TunnelTimeout,
	}
}

// syncLoop resyncs on every engine event and every ResyncInterval.
func (s *Server) syncLoop(ctx context.Context) {
	trigger := make(chan struct{}, 1)
	go s.disc.Watch(ctx, trigger)
	t := time.NewTicker(s.cfg.ResyncInterval)
	defer t.Stop()
	failing := false
	for {
		err := s.Sync(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			s.logger.Error("discovery failed; keeping the current routes", "err", err)
		case err == nil && failing:
			s.logger.Info("discovery works again")
		}
		failing = err != nil
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-trigger:
		}
	}
}

// lineBuffer batches log lines: one write(2) per flush instead of per line.
type lineBuffer struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func newLineBuffer(w io.Writer, size int) *lineBuffer {
	return &lineBuffer{w: bufio.NewWriterSize(w, size)}
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes out buffered lines.
func (b *lineBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

func (b *lineBuffer) flushEvery(ctx context.Context, d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			b.Flush()
		}
	}
}
