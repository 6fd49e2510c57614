package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
)

// Server is what Run serves. *http.Server satisfies it, and so do lb.Server
// and the edge forwarder's port server.
type Server interface {
	// Serve accepts connections on ln until Shutdown or Close, then returns
	// http.ErrServerClosed (net.ErrClosed is taken to mean the same).
	Serve(ln net.Listener) error
	// Shutdown stops accepting and waits until the connections in flight
	// are done, or ctx ends (then it returns ctx's error).
	Shutdown(ctx context.Context) error
	// Close stops at once, closing every connection.
	Close() error
}

var _ Server = (*http.Server)(nil)

// Endpoint is one server and where it listens.
type Endpoint struct {
	// Name tells the endpoints apart in log lines and errors: "api",
	// "ingress", "stats", ...
	Name string
	// Addr is listened on (TCP) when Listener is nil, such as ":8080".
	Addr string
	// Listener is an open listener to serve on instead of Addr; tests pass
	// one on 127.0.0.1:0. Run closes it.
	Listener net.Listener
	// Server serves the endpoint.
	Server Server
	// Attrs are added to the endpoint's "listening" log line.
	Attrs []any
}

// Options say how Run logs and drains. Zero values take the defaults noted.
type Options struct {
	// Logger gets a "listening" line per endpoint, then "draining" and
	// "stopped". Default: discarded.
	Logger *slog.Logger
	// DrainDelay is how long the endpoints keep accepting after the context
	// ends, so that a load balancer polling a health check stops sending
	// first. Default 0: stop accepting at once.
	DrainDelay time.Duration
	// ShutdownTimeout bounds the wait for the requests in flight once the
	// endpoints stop accepting; connections still open then are closed, and
	// Run says so in its error. Default DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// OnDrain, when set, is called once as the context ends, before
	// DrainDelay: the api turns its /healthz to 503 there.
	OnDrain func()
}

// Validate reports settings Run cannot use, in words a person can act on.
func (o Options) Validate() error {
	var errs []error
	if o.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf("shutdown timeout %s is negative", o.ShutdownTimeout))
	}
	if o.DrainDelay < 0 {
		errs = append(errs, fmt.Errorf("drain delay %s is negative", o.DrainDelay))
	}
	return errors.Join(errs...)
}

// CheckAddr reports a listen address that is neither host:port nor :port.
// "" passes: it takes a server's default.
func CheckAddr(addr string) error {
	if addr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("listen address %q: want host:port or :port", addr)
	}
	return nil
}

// DefaultShutdownTimeout is docker's own grace period between SIGTERM and
// SIGKILL: waiting longer would be cut short anyway.
const DefaultShutdownTimeout = 10 * time.Second

// Run listens on every endpoint and serves until ctx ends or a server fails.
// Then it drains: OnDrain, DrainDelay, and a Shutdown of every server at
// once, bounded by ShutdownTimeout. It returns nil after a clean stop, else
// the error of the server that failed or one that says what was cut off.
func Run(ctx context.Context, opts Options, endpoints ...Endpoint) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := opts.ShutdownTimeout
	if timeout <= 0 {
		timeout = DefaultShutdownTimeout
	}
	eps := slices.Clone(endpoints)
	if err := listen(eps); err != nil {
		return err
	}
	errc := make(chan error, len(eps))
	for _, ep := range eps {
		go func() { errc <- served(ep, ep.Server.Serve(ep.Listener)) }()
		log.Info("listening", append([]any{"server", ep.Name, "addr", ep.Listener.Addr().String()}, ep.Attrs...)...)
	}

	running := len(eps)
	var failed error
	select {
	case failed = <-errc:
		running--
	case <-ctx.Done():
		if opts.OnDrain != nil {
			opts.OnDrain()
		}
		log.Info("draining", "delay", opts.DrainDelay, "timeout", timeout)
		if opts.DrainDelay > 0 {
			t := time.NewTimer(opts.DrainDelay)
			select {
			case <-t.C:
			case failed = <-errc:
				t.Stop()
				running--
			}
		}
	}
	cutOff := shutdown(eps, timeout)
	for ; running > 0; running-- {
		if err := <-errc; failed == nil {
			failed = err
		}
	}
	if err := errors.Join(failed, cutOff); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// listen opens the listener of every endpoint that has none. On failure it
// closes them all, those it was given too: Run owns them.
func listen(eps []Endpoint) error {
	for i := range eps {
		if eps[i].Listener != nil {
			continue
		}
		ln, err := net.Listen("tcp", eps[i].Addr)
		if err != nil {
			for _, ep := range eps {
				if ep.Listener != nil {
					ep.Listener.Close()
				}
			}
			return fmt.Errorf("%s: listen on %s: %w", eps[i].Name, eps[i].Addr, err)
		}
		eps[i].Listener = ln
	}
	return nil
}

// served turns what Serve returned into Run's error: nil after a shutdown.
func served(ep Endpoint, err error) error {
	if err == nil || errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("%s stopped: %w", ep.Name, err)
}

// shutdown stops every server at once, waits up to timeout for what is in
// flight, and closes the servers that did not finish by then.
func shutdown(eps []Endpoint, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var g errgroup.Group
	for _, ep := range eps {
		g.Go(func() error {
			if err := ep.Server.Shutdown(ctx); err != nil {
				_ = ep.Server.Close()
				return fmt.Errorf("%s: requests still running after %s were cut off: %w", ep.Name, timeout, err)
			}
			return nil
		})
	}
	return g.Wait()
}
