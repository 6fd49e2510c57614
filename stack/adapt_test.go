package stack

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestEmbeddedFilesCheck(t *testing.T) {
	for _, s := range Stacks {
		data, err := Files.ReadFile(s.File)
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(s.File, data); err != nil {
			t.Errorf("%s: %v", s.File, err)
		}
		adapted, err := AdaptNoIPVS(data)
		if err != nil {
			t.Fatalf("%s: %v", s.File, err)
		}
		if err := Check(s.File, adapted); err != nil {
			t.Errorf("adapted %s: %v\n%s", s.File, err, adapted)
		}
	}
}

type adapted struct {
	Version  string
	Services map[string]struct {
		Deploy struct {
			EndpointMode string `yaml:"endpoint_mode"`
			Mode         string
		}
		Ports []struct {
			Target    int
			Published int
			Protocol  string
			Mode      string
		}
	}
}

func TestAdaptNoIPVS(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string][][4]any // service -> ports (target, published, protocol, mode)
		wantErr  string
	}{
		{
			name: "short ports",
			in:   "version: \"3\"\nservices:\n  app:\n    image: x\n    ports:\n      - \"9000:8080\"   # keep me\n      - 1936:1936\n",
			want: map[string][][4]any{"app": {{8080, 9000, "tcp", "host"}, {1936, 1936, "tcp", "host"}}},
		},
		{
			name: "long port and udp",
			in:   "version: '3.2'\nservices:\n  a:\n    image: x\n    ports:\n      - target: 80\n        published: 8080\n        mode: ingress\n      - \"53:53/udp\"\n",
			want: map[string][][4]any{"a": {{80, 8080, "", "host"}, {53, 53, "udp", "host"}}},
		},
		{
			name: "no ports, existing deploy",
			in:   "services:\n  api:\n    image: x\n    deploy:\n      replicas: 3\n",
			want: map[string][][4]any{"api": nil},
		},
		{name: "not a mapping", in: "- a\n", wantErr: "not a mapping"},
		{name: "no services", in: "version: '3'\n", wantErr: "no services"},
		{name: "bad port", in: "services:\n  a:\n    ports: [\"x:y\"]\n", wantErr: "port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := AdaptNoIPVS([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got adapted
			if err := yaml.Unmarshal(out, &got); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if got.Version != "3.8" {
				t.Errorf("version = %q", got.Version)
			}
			for svc, ports := range tt.want {
				s := got.Services[svc]
				if s.Deploy.EndpointMode != "dnsrr" {
					t.Errorf("%s endpoint_mode = %q", svc, s.Deploy.EndpointMode)
				}
				if len(s.Ports) != len(ports) {
					t.Fatalf("%s ports = %+v, want %v\n%s", svc, s.Ports, ports, out)
				}
				for i, p := range ports {
					g := s.Ports[i]
					if g.Target != p[0] || g.Published != p[1] || g.Protocol != p[2] || g.Mode != p[3] {
						t.Errorf("%s port %d = %+v, want %v", svc, i, g, p)
					}
				}
			}
			if strings.Contains(tt.in, "keep me") && !strings.Contains(string(out), "keep me") {
				t.Errorf("comment lost:\n%s", out)
			}
		})
	}
}

func FuzzAdaptNoIPVS(f *testing.F) {
	for _, s := range Stacks {
		data, _ := Files.ReadFile(s.File)
		f.Add(data)
	}
	f.Add([]byte("services:\n  a:\n    ports: [\"127.0.0.1:80:80/tcp\"]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := AdaptNoIPVS(data)
		if err != nil {
			return
		}
		// What it writes must parse again and be stable.
		again, err := AdaptNoIPVS(out)
		if err != nil {
			t.Fatalf("adapted output does not adapt again: %v\n%s", err, out)
		}
		if string(again) != string(out) {
			t.Fatalf("not idempotent:\n%s\n---\n%s", out, again)
		}
	})
}
