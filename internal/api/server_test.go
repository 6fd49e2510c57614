package api

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/version"
)

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestRoot(t *testing.T) {
	t.Parallel()
	h := New(Config{NoAccessLog: true}, nil).Handler()

	rec := get(t, h, "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", rec.Code)
	}
	if got := strings.TrimSuffix(rec.Body.String(), "\n"); got != "The API service is running..." {
		t.Errorf("GET / body = %q", got)
	}
	// Only the root itself, not every path, answers the tutorial's text.
	if rec := get(t, h, "/nope"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", rec.Code)
	}
}

func TestInfo(t *testing.T) {
	t.Parallel()
	cfg := Config{
		Hostname: "c0ffee", Node: "worker02", Service: "lab_api",
		Slot: 3, Task: "lab_api.3.abc", NoAccessLog: true,
	}
	h := New(cfg, nil).Handler()

	get(t, h, "/")
	get(t, h, "/healthz") // not counted
	before := time.Now().UTC()
	for want := uint64(2); want <= 4; want++ {
		rec := get(t, h, "/api/info")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /api/info = %d", rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		var info Info
		if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil {
			t.Fatalf("decode %q: %v", rec.Body, err)
		}
		if info.Hostname != "c0ffee" || info.Node != "worker02" || info.Service != "lab_api" ||
			info.Slot != 3 || info.Task != "lab_api.3.abc" || info.Version != version.Version {
			t.Errorf("info = %+v", info)
		}
		if info.Requests != want {
			t.Errorf("requests = %d, want %d", info.Requests, want)
		}
		if info.Time.Before(before.Add(-time.Second)) || info.Time.After(time.Now().Add(time.Second)) {
			t.Errorf("time = %s, want about now", info.Time)
		}
	}
}

func TestInfoJSONNames(t *testing.T) {
	t.Parallel()
	rec := get(t, New(Config{Hostname: "h", NoAccessLog: true}, nil).Handler(), "/api/info")
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	// The tutorial and the load balancer's tests read these names.
	for _, k := range []string{"hostname", "node", "service", "slot", "version", "requests", "time"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing %q in %s", k, rec.Body)
		}
	}
	if _, ok := m["task"]; ok {
		t.Errorf("task should be left out when unset: %s", rec.Body)
	}
}

func TestInfoDelayRejectsBadValues(t *testing.T) {
	t.Parallel()
	h := New(Config{NoAccessLog: true}, nil).Handler()
	for _, d := range []string{"x", "-1s", "1h"} {
		if rec := get(t, h, "/api/info?delay="+d); rec.Code != http.StatusBadRequest {
			t.Errorf("delay=%s: status %d, want 400", d, rec.Code)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "empty", env: nil, want: Config{Addr: ":8080", ShutdownTimeout: 10 * time.Second}},
		{
			name: "all",
			env: map[string]string{
				"PORT": "9090", "SHUTDOWN_TIMEOUT": "3s", "DRAIN_DELAY": "1s",
				"SWARM_NODE": "manager", "SWARM_SERVICE": "lab_api",
				"SWARM_TASK_SLOT": "2", "SWARM_TASK_NAME": "lab_api.2.x", "ACCESS_LOG": "false",
			},
			want: Config{
				Addr: ":9090", ShutdownTimeout: 3 * time.Second, DrainDelay: time.Second,
				Node: "manager", Service: "lab_api", Slot: 2, Task: "lab_api.2.x", NoAccessLog: true,
			},
		},
		{name: "bad port", env: map[string]string{"PORT": "http"}, wantErr: "PORT"},
		{name: "bad slot", env: map[string]string{"SWARM_TASK_SLOT": "{{.Task.Slot}}"}, wantErr: "SWARM_TASK_SLOT"},
		{name: "bad timeout", env: map[string]string{"SHUTDOWN_TIMEOUT": "10"}, wantErr: `SHUTDOWN_TIMEOUT="10": a duration needs a unit: write 10ms or 10s`},
		{name: "bad access log", env: map[string]string{"ACCESS_LOG": "off"}, wantErr: `ACCESS_LOG="off": want true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := FromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	if err := (Config{Addr: "8080"}).Validate(); err == nil {
		t.Error("addr without a colon was accepted")
	}
	if err := (Config{ShutdownTimeout: -time.Second}).Validate(); err == nil {
		t.Error("negative shutdown timeout was accepted")
	}
}

// startServer starts s on a loopback port and returns its base URL, a cancel that
// starts the shutdown, and a channel with Serve's result.
func startServer(t *testing.T, s *Server) (string, context.CancelFunc, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{}) // done may be drained by the test
	go func() { done <- s.Serve(ctx, ln); close(finished) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-finished:
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return "http://" + ln.Addr().String(), cancel, done
}

func status(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func TestHealthzFlipsWhileDraining(t *testing.T) {
	t.Parallel()
	s := New(Config{DrainDelay: time.Second, NoAccessLog: true}, nil)
	base, cancel, done := startServer(t, s)

	if code, err := status(base + "/healthz"); err != nil || code != http.StatusOK {
		t.Fatalf("healthz before shutdown = %d, %v; want 200", code, err)
	}
	cancel()
	// During the drain delay the listener still accepts, and says 503.
	deadline := time.Now().Add(500 * time.Millisecond)
	for {
		code, err := status(base + "/healthz")
		if err != nil {
			t.Fatalf("healthz during drain: %v", err)
		}
		if code == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz during drain = %d, want 503", code)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Other routes keep working until the listener closes.
	if code, err := status(base + "/"); err != nil || code != http.StatusOK {
		t.Errorf("GET / during drain = %d, %v", code, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v, want nil", err)
	}
	if _, err := status(base + "/healthz"); err == nil {
		t.Error("still accepting after shutdown")
	}
}

func TestShutdownFinishesInFlightRequest(t *testing.T) {
	t.Parallel()
	s := New(Config{ShutdownTimeout: 5 * time.Second, NoAccessLog: true}, nil)
	base, cancel, done := startServer(t, s)

	type result struct {
		code int
		info Info
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + "/api/info?delay=500ms")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var r result
		r.code = resp.StatusCode
		r.err = json.NewDecoder(resp.Body).Decode(&r.info)
		res <- r
	}()
	// The request is in flight once the server has counted it.
	for s.requests.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()

	r := <-res
	if r.err != nil || r.code != http.StatusOK {
		t.Fatalf("in-flight request: status %d, err %v; want 200", r.code, r.err)
	}
	if r.info.Requests != 1 {
		t.Errorf("requests = %d, want 1", r.info.Requests)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v, want nil", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve did not return after the request finished")
	}
}

func TestShutdownTimeoutCutsOff(t *testing.T) {
	t.Parallel()
	s := New(Config{ShutdownTimeout: 100 * time.Millisecond, NoAccessLog: true}, nil)
	base, cancel, done := startServer(t, s)

	go func() {
		if resp, err := http.Get(base + "/api/info?delay=5s"); err == nil {
			resp.Body.Close()
		}
	}()
	for s.requests.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Serve = nil, want an error for the request it cut off")
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("shutdown took %s, want about 100ms", el)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve ignored its shutdown timeout")
	}
}
