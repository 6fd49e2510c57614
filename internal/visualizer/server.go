package visualizer

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/swarmlab/swarmlab/internal/serve"
)

//go:embed web
var webFS embed.FS

// Config configures a Server. Zero values take the defaults noted on each
// field; Validate reports values a person has to fix.
type Config struct {
	// Source is where the swarm is read from. Required.
	Source Source
	// BasePath is the URL prefix the page is served under (CTX_ROOT), such as
	// "/viz" behind a proxy. Default "" (the root). A trailing slash is
	// dropped and a missing leading one added.
	BasePath string
	// Resync is how often the swarm is re-read while someone is watching.
	// Default 1s; at most 1s, since tasks only show up through it.
	Resync time.Duration
	// Heartbeat is how often an idle event stream gets a ping, so that the
	// page and proxies notice dead connections. Default 15s.
	Heartbeat time.Duration
	// ReadTimeout bounds one read of the swarm. Default 5s.
	ReadTimeout time.Duration
	// Logger receives the server's logs. Default: discarded.
	Logger *slog.Logger
	// Hosts are the names the Host header may carry besides IP literals and
	// "localhost" (web.HostAllowed), such as a classroom machine's name.
	// Default none: a page that rebinds its own DNS name to the lab's
	// address cannot read the swarm.
	Hosts []string
}

// Defaults for Config.
const (
	DefaultResync      = time.Second
	DefaultHeartbeat   = 15 * time.Second
	DefaultReadTimeout = 5 * time.Second
)

// shutdownTimeout is short: event streams end as the drain starts, and the
// other requests are quick reads of the last state.
const shutdownTimeout = 5 * time.Second

var basePathRE = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)*$`)

func (c *Config) setDefaults() {
	c.BasePath = "/" + strings.Trim(strings.TrimSpace(c.BasePath), "/")
	if c.BasePath == "/" {
		c.BasePath = ""
	}
	if c.Resync == 0 {
		c.Resync = DefaultResync
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate checks a Config whose defaults are filled in.
func (c *Config) Validate() error {
	var errs []error
	if c.Source == nil {
		errs = append(errs, errors.New("no source of swarm state"))
	}
	if !basePathRE.MatchString(c.BasePath) {
		errs = append(errs, fmt.Errorf("base path %q: use letters, digits and '.-_~' between slashes, like /viz", c.BasePath))
	}
	if c.Resync < 0 || c.Resync > time.Second {
		errs = append(errs, fmt.Errorf("resync interval %s: must be between 0 and 1s, or tasks show up late", c.Resync))
	}
	if c.Heartbeat < 0 || c.ReadTimeout < 0 {
		errs = append(errs, errors.New("heartbeat and read timeout must not be negative"))
	}
	return errors.Join(errs...)
}

// Server serves the page, the JSON state and the event stream.
type Server struct {
	cfg   Config
	log   *slog.Logger
	index *template.Template
	wake  chan struct{} // asks the poller for an immediate read

	refreshMu sync.Mutex // one read of the swarm at a time

	mu      sync.Mutex // guards the fields below
	state   State
	msg     []byte    // state JSON without its time (see stamp)
	readAt  time.Time // zero until the first read
	subs    map[chan []byte]struct{}
	lastErr string
}

// New returns a Server for cfg. Call Run to keep the state fresh and Handler
// (or ListenAndServe) to serve it.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid visualizer config: %w", err)
	}
	index, err := template.ParseFS(webFS, "web/index.html")
	if err != nil {
		return nil, fmt.Errorf("failed to parse page template: %w", err)
	}
	return &Server{
		cfg:   cfg,
		log:   cfg.Logger,
		index: index,
		wake:  make(chan struct{}, 1),
		subs:  map[chan []byte]struct{}{},
	}, nil
}

// BasePath returns the normalised URL prefix ("" for the root).
func (s *Server) BasePath() string { return s.cfg.BasePath }

// Run keeps the state fresh until ctx is done: it re-reads the swarm on
// source events and every Resync, but only while a browser is connected,
// so that an unwatched visualizer leaves the manager alone.
func (s *Server) Run(ctx context.Context) error {
	changes := s.cfg.Source.Watch(ctx)
	tick := time.NewTicker(s.cfg.Resync)
	defer tick.Stop()
	s.refresh(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
			s.refresh(ctx)
		case _, ok := <-changes:
			if !ok {
				changes = nil // the source stopped; the resync carries on
				continue
			}
			if s.watched() {
				s.refresh(ctx)
			}
		case <-tick.C:
			if s.watched() {
				s.refresh(ctx)
			}
		}
	}
}

func (s *Server) watched() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs) > 0
}

// refresh reads the swarm and, if what the page shows changed, sends it to
// every subscriber. A failed read keeps the last known swarm and says why,
// so the page shows the error instead of going blank.
func (s *Server) refresh(ctx context.Context) {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	s.read(ctx)
}

// refreshIfStale reads the swarm unless the state is fresh, deciding again
// once it holds the refresh lock: readers that found the state stale
// together queue on the lock, and all but the first find the read it just
// made and return, so they share one read of the swarm. Each waiter keeps
// its own context (a first reader that hangs up cancels no one else's read).
func (s *Server) refreshIfStale(ctx context.Context) {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	if !s.fresh() {
		s.read(ctx)
	}
}

// fresh reports whether the state was read less than Resync ago.
func (s *Server) fresh() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.readAt.IsZero() && time.Since(s.readAt) < s.cfg.Resync
}

// read does the work of refresh; the caller holds refreshMu.
func (s *Server) read(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, s.cfg.ReadTimeout)
	st, err := s.cfg.Source.Snapshot(rctx)
	cancel()
	if ctx.Err() != nil {
		return // shutting down; a cancelled read is not Docker's fault
	}
	now := time.Now()

	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		prev := s.state
		st = prev
		st.Error = err.Error()
		if st.Error != s.lastErr {
			s.log.Warn("cannot read swarm", "err", err)
		}
	} else if s.lastErr != "" {
		s.log.Info("swarm readable again")
	}
	s.lastErr = st.Error
	st.Time = time.Time{} // left out: stamp adds it as each message is sent
	msg, jerr := json.Marshal(st)
	if jerr != nil {
		s.log.Error("cannot encode state", "err", jerr)
		return
	}
	s.readAt = now
	if bytes.Equal(msg, s.msg) {
		return
	}
	s.state, s.msg = st, msg
	for ch := range s.subs {
		offer(ch, msg)
	}
}

// stamp returns a state message (JSON without its time) with the time it
// is sent. The page counts ages from that time: the time of the read that
// last changed the state would make a page opened long after it show every
// task that much younger.
func stamp(msg []byte) []byte {
	b := make([]byte, 0, len(msg)+48)
	b = append(b, `{"time":"`...)
	b = time.Now().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `",`...)
	return append(b, msg[1:]...)
}

// offer hands msg to a subscriber, replacing an older message it has not
// taken yet: a slow browser skips states instead of slowing the others.
func offer(ch chan []byte, msg []byte) {
	for {
		select {
		case ch <- msg:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

// current returns the state JSON, reading the swarm first if the cached
// state is older than Resync (nobody may be watching, so the poller idles).
func (s *Server) current(ctx context.Context) []byte {
	if !s.fresh() {
		s.refreshIfStale(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.msg == nil {
		return []byte(`{"error":"starting","nodes":[],"services":[],"tasks":[],"networks":[]}`)
	}
	return s.msg
}

func (s *Server) subscribe() chan []byte {
	ch := make(chan []byte, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs[ch] = struct{}{}
	if s.msg != nil {
		ch <- s.msg
	}
	if s.readAt.IsZero() || time.Since(s.readAt) >= s.cfg.Resync {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return ch
}

func (s *Server) unsubscribe(ch chan []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.subs, ch)
}

// Subscribers returns how many event streams are open.
func (s *Server) Subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// ListenAndServe serves on addr and keeps the state fresh until ctx is done,
// then shuts down gracefully: open event streams are closed and in-flight
// requests get a few seconds to finish.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	return s.serve(ctx, serve.Endpoint{Addr: addr})
}

// Serve is ListenAndServe on an existing listener, which it closes.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.serve(ctx, serve.Endpoint{Listener: ln})
}

func (s *Server) serve(ctx context.Context, ep serve.Endpoint) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	defer wg.Wait() // runs after cancel: deferred calls run last first
	defer cancel()
	ep.Name = "visualizer"
	ep.Server = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// No WriteTimeout: event streams are meant to stay open.
		// ctx is the base context of every request, so event streams end
		// as the drain starts; Shutdown then only waits for ordinary requests.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	ep.Attrs = []any{"base", s.cfg.BasePath + "/"}
	return serve.Run(ctx, serve.Options{Logger: s.log, ShutdownTimeout: shutdownTimeout}, ep)
}
