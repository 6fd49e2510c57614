package edge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/swarmlab/swarmlab/internal/serve"
)

// Config says what to forward.
type Config struct {
	// Ports are listened on and forwarded to the same port of a target.
	Ports []int
	// Targets are the hosts to forward to, tried in order; the first that
	// accepts a connection gets it.
	Targets []string
	// DialTimeout bounds one connection attempt. Default 500ms: a stopped
	// node drops packets, and the next target should be tried quickly.
	DialTimeout time.Duration
	// DownFor is how long a target that failed is tried last. Default 3s.
	DownFor time.Duration
}

// Validate reports what is missing.
func (c Config) Validate() error {
	var errs []error
	if len(c.Ports) == 0 {
		errs = append(errs, errors.New("no port to forward (give --port)"))
	}
	for _, p := range c.Ports {
		if p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("port %d: must be between 1 and 65535", p))
		}
	}
	if len(c.Targets) == 0 {
		errs = append(errs, errors.New("no target to forward to (give --targets)"))
	}
	return errors.Join(errs...)
}

// Forwarder forwards connections; its zero value is not usable, use New.
type Forwarder struct {
	cfg  Config
	log  *slog.Logger
	mu   sync.Mutex
	down map[string]time.Time // target → when it last failed
}

// New returns a forwarder with defaults filled in.
func New(cfg Config, log *slog.Logger) *Forwarder {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 500 * time.Millisecond
	}
	if cfg.DownFor <= 0 {
		cfg.DownFor = 3 * time.Second
	}
	return &Forwarder{cfg: cfg, log: log, down: map[string]time.Time{}}
}

// shutdownTimeout is short: a forwarder cannot tell a finished request from
// an idle keep-alive connection or an event stream, so it lets open
// connections run only briefly once it stops.
const shutdownTimeout = 2 * time.Second

// Run listens on every port and forwards until ctx ends.
func (f *Forwarder) Run(ctx context.Context) error {
	if err := f.cfg.Validate(); err != nil {
		return err
	}
	eps := make([]serve.Endpoint, len(f.cfg.Ports))
	for i, p := range f.cfg.Ports {
		eps[i] = f.endpoint(p)
		eps[i].Addr = ":" + strconv.Itoa(p)
	}
	return serve.Run(ctx, serve.Options{Logger: f.log, ShutdownTimeout: shutdownTimeout}, eps...)
}

// Serve accepts on ln and forwards each connection to port on a target,
// until ctx ends.
func (f *Forwarder) Serve(ctx context.Context, ln net.Listener, port int) error {
	ep := f.endpoint(port)
	ep.Listener = ln
	return serve.Run(ctx, serve.Options{Logger: f.log, ShutdownTimeout: shutdownTimeout}, ep)
}

func (f *Forwarder) endpoint(port int) serve.Endpoint {
	ctx, cancel := context.WithCancel(context.Background())
	return serve.Endpoint{
		Name:   "edge",
		Server: &portServer{f: f, port: port, ctx: ctx, cancel: cancel, conns: map[net.Conn]bool{}},
		Attrs:  []any{"targets", f.cfg.Targets},
	}
}

// portServer forwards the connections of one port; it is a serve.Server.
type portServer struct {
	f      *Forwarder
	port   int
	ctx    context.Context // ends on Close, and with it every dial
	cancel context.CancelFunc

	mu       sync.Mutex
	ln       net.Listener
	stopping bool
	active   int               // forwards in progress
	conns    map[net.Conn]bool // both ends of every forward, for Close
}

var _ serve.Server = (*portServer)(nil)

func (s *portServer) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.ln = ln
	stopping := s.stopping
	s.mu.Unlock()
	if stopping { // stopped before it started
		ln.Close()
		return http.ErrServerClosed
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			stopping := s.stopping
			s.mu.Unlock()
			if stopping {
				return http.ErrServerClosed
			}
			return err
		}
		s.mu.Lock()
		s.active++
		s.mu.Unlock()
		go func() {
			s.forward(c)
			s.mu.Lock()
			s.active--
			s.mu.Unlock()
		}()
	}
}

// Shutdown stops accepting and waits until every forward is done, or ctx ends.
func (s *portServer) Shutdown(ctx context.Context) error {
	s.stopAccepting()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		s.mu.Lock()
		active := s.active
		s.mu.Unlock()
		if active == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Close stops accepting and cuts every forward off.
func (s *portServer) Close() error {
	s.stopAccepting()
	s.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
	return nil
}

func (s *portServer) stopAccepting() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopping = true
	if s.ln != nil {
		s.ln.Close()
	}
}

// track keeps c for Close; untrack forgets it once it is closed.
func (s *portServer) track(c net.Conn) {
	s.mu.Lock()
	s.conns[c] = true
	s.mu.Unlock()
}

func (s *portServer) untrack(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// order lists the targets, those that failed lately last.
func (f *Forwarder) order() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var up, down []string
	for _, t := range f.cfg.Targets {
		if at, ok := f.down[t]; ok && time.Since(at) < f.cfg.DownFor {
			down = append(down, t)
		} else {
			up = append(up, t)
		}
	}
	return append(up, down...)
}

func (f *Forwarder) markDown(t string) {
	f.mu.Lock()
	f.down[t] = time.Now()
	f.mu.Unlock()
}

// forward connects c to the first target that accepts, and copies both ways
// until both sides are done.
func (s *portServer) forward(c net.Conn) {
	s.track(c)
	defer s.untrack(c)
	f := s.f
	var up net.Conn
	for _, t := range f.order() {
		d := net.Dialer{Timeout: f.cfg.DialTimeout}
		conn, err := d.DialContext(s.ctx, "tcp", net.JoinHostPort(t, strconv.Itoa(s.port)))
		if err == nil {
			up = conn
			break
		}
		f.markDown(t)
		f.log.Debug("target failed", "target", t, "port", s.port, "err", err)
	}
	if up == nil {
		f.log.Warn("no target accepted the connection", "port", s.port)
		return
	}
	s.track(up)
	defer s.untrack(up)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite() // pass the half-close on, as HTTP clients expect
		}
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	<-done
}
