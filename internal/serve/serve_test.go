package serve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func loopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// start runs Run in the background and returns a channel with its result.
func start(ctx context.Context, opts Options, eps ...Endpoint) <-chan error {
	done := make(chan error, 1)
	go func() { done <- Run(ctx, opts, eps...) }()
	return done
}

func wait(t *testing.T, done <-chan error) error {
	t.Helper()
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	select {
	case <-timeout.C:
		t.Fatal("Run did not return")
	case err := <-done:
		return err
	}
	return nil
}

func get(url string) (int, error) {
	resp, err := http.Get(url)
	if err == nil {
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	return 0, err
}

func ok(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }

// The ingress's shape: two listeners, each with its own server.
func TestTwoEndpointsServeAndStopTogether(t *testing.T) {
	t.Parallel()
	main, stats := loopback(t), loopback(t)
	var logs strings.Builder
	ctx, cancel := context.WithCancel(context.Background())
	done := start(ctx, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))},
		Endpoint{Name: "ingress", Listener: main, Server: &http.Server{Handler: http.HandlerFunc(ok)}},
		Endpoint{Name: "stats", Listener: stats, Server: &http.Server{Handler: http.HandlerFunc(ok)}, Attrs: []any{"auth", "on"}})
	for _, ln := range []net.Listener{main, stats} {
		if code, err := get("http://" + ln.Addr().String()); err != nil || code != 200 {
			t.Fatalf("GET %s = %d, %v", ln.Addr(), code, err)
		}
	}
	cancel()
	if err := wait(t, done); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	for _, want := range []string{"server=ingress", "server=stats", "auth=on", "msg=draining", "msg=stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
	if _, err := get("http://" + stats.Addr().String()); err == nil {
		t.Error("stats still accepting after Run returned")
	}
}

func TestDrainDelayKeepsAccepting(t *testing.T) {
	t.Parallel()
	ln := loopback(t)
	var drained atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	done := start(ctx, Options{DrainDelay: 300 * time.Millisecond, OnDrain: func() { drained.Store(true) }},
		Endpoint{Name: "api", Listener: ln, Server: &http.Server{Handler: http.HandlerFunc(ok)}})
	cancel()
	for !drained.Load() {
		time.Sleep(time.Millisecond)
	}
	if code, err := get("http://" + ln.Addr().String()); err != nil || code != 200 {
		t.Fatalf("GET during the drain delay = %d, %v", code, err)
	}
	if err := wait(t, done); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
}

func TestShutdownTimeoutCutsOff(t *testing.T) {
	t.Parallel()
	ln := loopback(t)
	inFlight := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(inFlight)
		time.Sleep(3 * time.Second)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := start(ctx, Options{ShutdownTimeout: 50 * time.Millisecond}, Endpoint{Name: "api", Listener: ln, Server: &http.Server{Handler: slow}})
	go get("http://" + ln.Addr().String())
	<-inFlight
	cancel()
	if err := wait(t, done); err == nil || !strings.Contains(err.Error(), "api: requests still running after 50ms were cut off") {
		t.Fatalf("Run = %v, want a cut-off error", err)
	}
}

func TestListenFailureClosesEveryListener(t *testing.T) {
	t.Parallel()
	given, taken := loopback(t), loopback(t)
	defer taken.Close()
	err := Run(context.Background(), Options{},
		Endpoint{Name: "ingress", Listener: given, Server: &http.Server{}},
		Endpoint{Name: "stats", Addr: taken.Addr().String(), Server: &http.Server{}})
	if err == nil || !strings.Contains(err.Error(), "stats: listen on "+taken.Addr().String()) {
		t.Fatalf("Run = %v, want a listen error naming stats", err)
	}
	if _, err := given.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the given listener is still open: %v", err)
	}
}

// failing is a server that fails as soon as it starts.
type failing struct{ http.Server }

func (*failing) Serve(net.Listener) error { return errors.New("boom") }

func TestServerFailureStopsTheOthers(t *testing.T) {
	t.Parallel()
	err := wait(t, start(context.Background(), Options{},
		Endpoint{Name: "ingress", Listener: loopback(t), Server: &http.Server{Handler: http.HandlerFunc(ok)}},
		Endpoint{Name: "stats", Listener: loopback(t), Server: &failing{}}))
	if err == nil || err.Error() != "stats stopped: boom" {
		t.Fatalf("Run = %v, want the failing server's error", err)
	}
}
