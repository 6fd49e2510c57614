// Package edge forwards TCP from the host's published ports to the lab's
// managers. A lab with several managers publishes its ports on this small
// container instead of on one manager, so that stopping any manager, the
// leader included, leaves the ingress and the visualizer reachable.
package edge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"
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

// Run listens on every port until ctx ends.
func (f *Forwarder) Run(ctx context.Context) error {
	if err := f.cfg.Validate(); err != nil {
		return err
	}
	var lns []net.Listener
	for _, p := range f.cfg.Ports {
		ln, err := net.Listen("tcp", ":"+strconv.Itoa(p))
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return err
		}
		lns = append(lns, ln)
	}
	var wg sync.WaitGroup
	for i, ln := range lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.Serve(ctx, ln, f.cfg.Ports[i])
		}()
	}
	f.log.Info("forwarding", "ports", f.cfg.Ports, "targets", f.cfg.Targets)
	<-ctx.Done()
	for _, ln := range lns {
		ln.Close()
	}
	wg.Wait()
	return nil
}

// Serve accepts on ln and forwards each connection to port on a target.
func (f *Forwarder) Serve(ctx context.Context, ln net.Listener, port int) {
	go func() { <-ctx.Done(); ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go f.forward(ctx, c, port)
	}
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

func (f *Forwarder) forward(ctx context.Context, c net.Conn, port int) {
	defer c.Close()
	var up net.Conn
	for _, t := range f.order() {
		d := net.Dialer{Timeout: f.cfg.DialTimeout}
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(t, strconv.Itoa(port)))
		if err == nil {
			up = conn
			break
		}
		f.markDown(t)
		f.log.Debug("target failed", "target", t, "port", port, "err", err)
	}
	if up == nil {
		f.log.Warn("no target accepted the connection", "port", port)
		return
	}
	defer up.Close()
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
