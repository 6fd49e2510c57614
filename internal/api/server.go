package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/swarmlab/swarmlab/internal/serve"
	"github.com/swarmlab/swarmlab/internal/version"
)

// RootText is what GET / answers; the tutorial checks for it.
const RootText = "The API service is running...\n"

// MaxDelay caps the ?delay= of /api/info, which lets a learner (and the
// tests) keep a request in flight while a replica is stopped.
const MaxDelay = 10 * time.Second

// Timeouts of the HTTP server. WriteTimeout must exceed MaxDelay.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
)

// Info is the body of GET /api/info.
type Info struct {
	Hostname string    `json:"hostname"`
	Node     string    `json:"node"`
	Service  string    `json:"service"`
	Slot     int       `json:"slot"`
	Task     string    `json:"task,omitempty"`
	Version  string    `json:"version"`
	Requests uint64    `json:"requests"`
	Time     time.Time `json:"time"`
}

// Server is one replica of the demo API.
type Server struct {
	cfg      Config
	log      *slog.Logger
	handler  http.Handler
	requests atomic.Uint64
	draining atomic.Bool
}

// New returns a server for cfg, with defaults filled in. Call cfg.Validate
// first to report bad settings; a nil logger discards logs.
func New(cfg Config, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg.withDefaults(), log: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.root)
	mux.HandleFunc("GET /api/info", s.info)
	mux.HandleFunc("GET /healthz", s.healthz)
	s.handler = s.observe(mux)
	return s
}

// Handler returns the server's routes, for tests and for embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Run listens on the configured address and serves until ctx is done, then
// shuts down gracefully (see Serve).
func (s *Server) Run(ctx context.Context) error {
	return s.serve(ctx, serve.Endpoint{Addr: s.cfg.Addr})
}

// Serve serves on ln until ctx is done. Then /healthz answers 503, the
// server keeps accepting for DrainDelay, stops accepting, and waits up to
// ShutdownTimeout for in-flight requests. A clean stop returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.serve(ctx, serve.Endpoint{Listener: ln})
}

func (s *Server) serve(ctx context.Context, ep serve.Endpoint) error {
	ep.Name = "api"
	ep.Server = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Requests get a context of their own, not ctx: cancelling ctx
		// starts the drain and must not abort the requests it waits for.
	}
	ep.Attrs = []any{"node", s.cfg.Node, "service", s.cfg.Service, "slot", s.cfg.Slot, "version", version.Version}
	err := serve.Run(ctx, serve.Options{
		Logger:          s.log,
		DrainDelay:      s.cfg.DrainDelay,
		ShutdownTimeout: s.cfg.ShutdownTimeout,
		OnDrain:         func() { s.draining.Store(true) },
	}, ep)
	if err == nil {
		s.log.Info("served", "requests", s.requests.Load())
	}
	return err
}

func (s *Server) root(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(RootText))
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	if d := r.URL.Query().Get("delay"); d != "" {
		delay, err := time.ParseDuration(d)
		if err != nil || delay < 0 || delay > MaxDelay {
			http.Error(w, fmt.Sprintf("delay: want a duration from 0 to %s, such as 500ms", MaxDelay), http.StatusBadRequest)
			return
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	info := Info{
		Hostname: s.cfg.Hostname,
		Node:     s.cfg.Node,
		Service:  s.cfg.Service,
		Slot:     s.cfg.Slot,
		Task:     s.cfg.Task,
		Version:  version.Version,
		Requests: s.requests.Load(),
		Time:     time.Now().UTC(),
	}
	w.Header().Set("Content-Type", "application/json")
	// The answer differs by replica and by request: nothing may cache it.
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(info)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("draining\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// observe counts and logs requests. Health checks are left out of both:
// a load balancer polls them every second or so and would drown the rest.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		s.requests.Add(1)
		if s.cfg.NoAccessLog {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr))
	})
}

// statusWriter remembers the status code for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
