package lab

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		change  func(*Config)
		wantErr string
	}{
		{"defaults", func(*Config) {}, ""},
		{"three managers", func(c *Config) { c.Managers = 3 }, ""},
		{"no workers", func(c *Config) { c.Workers = 0 }, ""},
		{"negative workers", func(c *Config) { c.Workers = -1 }, "workers -1: must be between 0 and 20"},
		{"too many workers", func(c *Config) { c.Workers = 500 }, "workers 500"},
		{"no manager", func(c *Config) { c.Managers = 0 }, "managers 0"},
		{"bad name", func(c *Config) { c.Name = "My Lab" }, `name "My Lab"`},
		{"bad subnet", func(c *Config) { c.Subnet = "10.0.0.1/24" }, "subnet"},
		{"small subnet", func(c *Config) { c.Subnet = "10.0.0.0/28" }, "subnet"},
		{"bad bind", func(c *Config) { c.Bind = "localhost" }, "bind"},
		{"port clash", func(c *Config) { c.Ports.Visualizer = 8000 }, "already used for ingress"},
		{"port range", func(c *Config) { c.Ports.Stats = 70000 }, "stats port 70000"},
		{"registry off", func(c *Config) { c.Ports.Registry = 0 }, "registry port 0"},
		{"ingress off", func(c *Config) { c.Ports.Ingress = 0 }, ""},
		{"heartbeat", func(c *Config) { c.Heartbeat = time.Millisecond }, "heartbeat"},
		{"several at once", func(c *Config) { c.Workers, c.Managers = -1, 9 }, "managers 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Defaults()
			tt.change(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c, err := LoadFile(write("ok.yaml", "name: class2\nworkers: 2\nheartbeat: 1s\nports:\n  ingress: 8080\n"), Defaults())
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "class2" || c.Workers != 2 || c.Heartbeat != time.Second || c.Ports.Ingress != 8080 || c.Ports.Registry != 5000 || c.Managers != 1 {
		t.Fatalf("got %+v", c)
	}
	if c, err := LoadFile(write("empty.yaml", ""), Defaults()); err != nil || c.Workers != 3 {
		t.Fatalf("empty file: %+v %v", c, err)
	}
	for name, body := range map[string]string{
		"typo.yaml":      "wokers: 2\n",
		"malformed.yaml": "workers: [\n",
		"type.yaml":      "workers: many\n",
		"duration.yaml":  "heartbeat: soon\n",
	} {
		if _, err := LoadFile(write(name, body), Defaults()); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.yaml"), Defaults()); err == nil {
		t.Error("missing file: want an error")
	}
	// Windows paths: plain and single-quoted are taken as they are; in
	// double quotes \U is an escape, and the error says how to write it.
	for body, want := range map[string]string{
		"stackDir: C:\\Users\\me\\stack\n":   `C:\Users\me\stack`,
		"stackDir: 'C:\\Users\\me\\stack'\n": `C:\Users\me\stack`,
		"stackDir: \"C:/Users/me/stack\"\n":  `C:/Users/me/stack`,
		"stackDir: \"C:\\\\Users\\\\me\"\n":  `C:\Users\me`,
	} {
		c, err := LoadFile(write("win.yaml", body), Defaults())
		if err != nil || c.StackDir != want {
			t.Errorf("%q: stackDir %q, %v; want %q", body, c.StackDir, err, want)
		}
	}
	if _, err := LoadFile(write("esc.yaml", "stackDir: \"C:\\Users\\me\"\n"), Defaults()); err == nil || !strings.Contains(err.Error(), "single quotes") {
		t.Errorf("double-quoted backslashes: %v", err)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	c := Defaults()
	c.Managers, c.Workers = 3, 2
	var got []string
	for _, n := range c.Nodes() {
		got = append(got, n.Name+"="+NodeIP(netip.MustParsePrefix("172.28.5.0/24"), n).String())
	}
	want := "manager=172.28.5.10 manager02=172.28.5.11 manager03=172.28.5.12 worker01=172.28.5.20 worker02=172.28.5.21"
	if strings.Join(got, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	if c.ContainerName("manager") != "manager" {
		t.Error("the default lab keeps the tutorial's names")
	}
	c.Name = "class2"
	if c.ContainerName("manager") != "class2-manager" || c.VolumeName("worker01") != "class2-worker01" {
		t.Error("another lab prefixes its names")
	}
	a, b := Defaults().CandidateSubnets()[0], c.CandidateSubnets()[0]
	if a == b {
		t.Errorf("two labs try the same subnet first: %s", a)
	}
}
