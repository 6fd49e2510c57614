package registry

import (
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg Config
		ok  bool
	}{
		{Config{}, true},
		{Config{Addr: ":5001", DataDir: "/data"}, true},
		{Config{Addr: "5000"}, false},
		{Config{DataDir: "data"}, false},
		{Config{ShutdownTimeout: -1}, false},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); (err == nil) != tt.ok {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tt.cfg, err, tt.ok)
		}
	}
}

func TestNewReportsUnusableDataDir(t *testing.T) {
	t.Parallel()
	file := t.TempDir() + "/file"
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), Config{DataDir: file + "/sub"}, nil); err == nil {
		t.Fatal("New accepted a data directory under a regular file")
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	t.Parallel()
	r, err := New(context.Background(), Config{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, ln) }()

	base := "http://" + ln.Addr().String()
	for _, path := range []string{"/v2/", "/"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		if v := resp.Header.Get("Docker-Distribution-API-Version"); path == "/v2/" && v != "registry/2.0" {
			t.Errorf("API version header = %q", v)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not stop on cancel")
	}
	if _, err := http.Get(base + "/v2/"); err == nil {
		t.Error("still serving after Serve returned")
	}
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if cfg, err := FromEnv(env(nil)); err != nil || cfg.Addr != ":5000" || cfg.DataDir != "/var/lib/registry" {
		t.Fatalf("defaults: %+v, %v", cfg, err)
	}
	if cfg, err := FromEnv(env(map[string]string{EnvAddr: ":5001", EnvData: "/data"})); err != nil || cfg.Addr != ":5001" || cfg.DataDir != "/data" {
		t.Fatalf("set: %+v, %v", cfg, err)
	}
	_, err := FromEnv(env(map[string]string{EnvAddr: "5000", EnvData: "data"}))
	for _, want := range []string{`REGISTRY_ADDR="5000"`, `REGISTRY_DATA="data": want an absolute path`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
