package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/swarmlab/swarmlab/internal/lb"
	"github.com/swarmlab/swarmlab/internal/serve"
)

// Resolver looks up a host name. *net.Resolver satisfies it; tests fake it.
type Resolver interface {
	// LookupHost returns the addresses of host, or an error when it has none.
	LookupHost(ctx context.Context, host string) ([]string, error)
}

var _ Resolver = (*net.Resolver)(nil)

// Proxy forwards every request to the tasks of one backend service.
type Proxy struct {
	cfg      Config
	logger   *slog.Logger
	resolver Resolver
	pool     *lb.Pool
	handler  *lb.Handler
	host     string
	port     string
	// followsTasks is set once tasks.<host> has answered (lookup).
	followsTasks atomic.Bool

	logMu sync.Mutex
	log   io.Writer
}

// New returns a proxy for cfg (already validated). Access-log lines go to
// accessLog; a nil resolver uses net.DefaultResolver.
func New(cfg Config, logger *slog.Logger, accessLog io.Writer, resolver Resolver) (*Proxy, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	host, port, _ := net.SplitHostPort(cfg.BackendHost)
	p := &Proxy{cfg: cfg, logger: logger, resolver: resolver, pool: lb.NewPool(), host: host, port: port, log: accessLog}
	p.handler = &lb.Handler{Pool: p.pool, Transport: lb.NewTransport(lb.TransportConfig{
		DialTimeout:           cfg.ConnectTimeout,
		ResponseHeaderTimeout: cfg.ReadTimeout,
		IdleConnTimeout:       cfg.IdleTimeout,
		HedgeDelay:            cfg.HedgeDelay,
		UnackedTimeout:        cfg.UnackedTimeout,
		TunnelTimeout:         cfg.TunnelTimeout,
	})}
	if cfg.AccessLog && accessLog != nil {
		p.handler.Done = p.accessLog
	}
	return p, nil
}

// Handler returns the proxying handler.
func (p *Proxy) Handler() *lb.Handler { return p.handler }

// Pool returns the backend pool, for tests and stats.
func (p *Proxy) Pool() *lb.Pool { return p.pool }

// Resolve looks up the backend once (lookup) and updates the pool. On
// failure the pool is kept: a DNS blip must not take every backend away.
func (p *Proxy) Resolve(ctx context.Context) error {
	var ips []string
	if net.ParseIP(p.host) != nil {
		ips = []string{p.host}
	} else {
		ctx, cancel := context.WithTimeout(ctx, max(p.cfg.ResolveInterval, time.Second))
		defer cancel()
		var err error
		ips, err = p.lookup(ctx)
		if err != nil || len(ips) == 0 {
			return fmt.Errorf("resolve %s: %w", p.host, errors.Join(err, errors.New("no addresses")))
		}
	}
	addrs := make([]string, len(ips))
	for i, ip := range ips {
		addrs[i] = net.JoinHostPort(ip, p.port)
	}
	slices.Sort(addrs)
	added, removed := p.pool.Set(addrs)
	if len(added) > 0 || len(removed) > 0 {
		p.logger.Info("backends changed", "backend", p.cfg.BackendHost, "addrs", addrs, "added", len(added), "removed", len(removed))
	}
	return nil
}

// lookup returns the backend's addresses: the service's tasks (swarm's
// tasks.<host>) whenever they resolve, so that the proxy balances over the
// tasks itself and its passive health and hedging see each one, on kernels
// with IPVS too, where <host> is a VIP that swarm updates late when a node
// dies. The plain name (a VIP, a dnsrr service, any other host) serves only
// until tasks.<host> has answered once: after that a failed tasks lookup is
// an error, which keeps the pool, rather than a swap of the tasks for the VIP.
func (p *Proxy) lookup(ctx context.Context) ([]string, error) {
	ips, err := p.resolver.LookupHost(ctx, "tasks."+p.host)
	if err == nil && len(ips) > 0 {
		p.followsTasks.Store(true)
		return ips, nil
	}
	if p.followsTasks.Load() {
		return nil, fmt.Errorf("tasks.%s: %w", p.host, errors.Join(err, errors.New("no addresses")))
	}
	return p.resolver.LookupHost(ctx, p.host)
}

// resolveLoop re-resolves every ResolveInterval until ctx ends.
func (p *Proxy) resolveLoop(ctx context.Context) {
	t := time.NewTicker(p.cfg.ResolveInterval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := p.Resolve(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			p.logger.Warn("cannot resolve backend; keeping the last known addresses", "err", err)
		case err == nil && failing:
			p.logger.Info("backend resolves again", "backend", p.cfg.BackendHost)
		}
		failing = err != nil
	}
}

// Run listens on the configured port and serves until ctx is cancelled.
func (p *Proxy) Run(ctx context.Context) error {
	return p.serve(ctx, serve.Endpoint{Addr: ":" + strconv.Itoa(p.cfg.ListenPort)})
}

// Serve serves on ln until ctx is cancelled, then drains in-flight requests
// for up to DrainTimeout.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	return p.serve(ctx, serve.Endpoint{Listener: ln})
}

func (p *Proxy) serve(ctx context.Context, ep serve.Endpoint) error {
	if err := p.Resolve(ctx); err != nil {
		// Start anyway (503 until it resolves): the backend may simply not be
		// scheduled yet, which made the tutorial's nginx crash-loop.
		p.logger.Warn("backend not resolvable yet; answering 503 until it is", "err", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go p.resolveLoop(ctx)
	ep.Name = "proxy"
	ep.Attrs = []any{"backend", p.cfg.BackendHost}
	ep.Server = &lb.Server{
		Router:      func(string, string) *lb.Handler { return p.handler },
		IdleTimeout: p.cfg.IdleTimeout,
		Logger:      p.logger,
	}
	return serve.Run(ctx, serve.Options{Logger: p.logger, ShutdownTimeout: p.cfg.DrainTimeout}, ep)
}

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// accessLog writes an nginx "combined" line plus upstream and request time:
// $remote_addr - - [$time_local] "$request" $status $body_bytes_sent
// "$http_referer" "$http_user_agent" upstream=... rt=...
func (p *Proxy) accessLog(r *lb.RequestInfo, res *lb.Result) {
	bp := lineBufs.Get().(*[]byte)
	b := (*bp)[:0]
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	b = append(b, host...)
	b = append(b, " - - ["...)
	b = time.Now().AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	b = append(b, "] \""...)
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = appendSafe(b, r.URI)
	b = append(b, ' ')
	b = append(b, r.Proto...)
	b = append(b, "\" "...)
	b = strconv.AppendInt(b, int64(res.Status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, res.Bytes, 10)
	b = append(b, " \""...)
	b = appendSafe(b, orDash(r.Referer))
	b = append(b, "\" \""...)
	b = appendSafe(b, orDash(r.UserAgent))
	b = append(b, "\" upstream="...)
	b = append(b, orDash(res.Upstream)...)
	b = append(b, " rt="...)
	b = strconv.AppendFloat(b, res.Duration.Seconds(), 'f', 3, 64)
	b = append(b, '\n')
	p.logMu.Lock()
	p.log.Write(b)
	p.logMu.Unlock()
	*bp = b
	lineBufs.Put(bp)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// appendSafe escapes quotes and control bytes as nginx does (\xHH), so a
// crafted header cannot forge a log line.
func appendSafe(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' || c < 0x20 || c == 0x7f {
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}
