package dockerconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The store as 'docker context create NAME --docker host=...' writes it.
func TestContextEndpoint(t *testing.T) {
	dir := t.TempDir()
	meta := filepath.Join(dir, "contexts", "meta", contextID("prod"))
	os.MkdirAll(meta, 0o755)
	os.WriteFile(filepath.Join(meta, "meta.json"), []byte(`{"Name":"prod","Metadata":{},"Endpoints":{"docker":{"Host":"ssh://admin@m1","SkipTLSVerify":false}}}`), 0o644)
	ep, err := ContextEndpoint(dir, "prod")
	if err != nil || ep.Host != "ssh://admin@m1" || ep.TLSDir != "" {
		t.Fatalf("ContextEndpoint = %+v, %v", ep, err)
	}
	if contextID("prod") != "6754af9632a2745e85c293e5aac0863370d9bd3330b9938c00cadfd215227d77" {
		t.Fatal("the store names folders by the SHA-256 of the context's name")
	}
	if _, err := ContextEndpoint(dir, "nope"); err == nil || !strings.Contains(err.Error(), `no Docker context "nope"`) {
		t.Errorf("missing context: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"currentContext":"prod","auths":{"reg.example.com":{"auth":"dXNlcjpwYXNz"},"https://index.docker.io/v1/":{"auth":"aHViOmh1YnBhc3M="}}}`), 0o644)
	t.Setenv("DOCKER_CONTEXT", "")
	if got := CurrentContext(dir); got != "prod" {
		t.Errorf("CurrentContext = %q", got)
	}
	t.Setenv("DOCKER_CONTEXT", "other")
	if got := CurrentContext(dir); got != "other" {
		t.Errorf("CurrentContext with DOCKER_CONTEXT = %q", got)
	}
	f, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{"reg.example.com": "user:pass", "docker.io": "hub:hubpass", "other.example.com": ":"} {
		u, p, err := f.Credentials(host)
		if err != nil || u+":"+p != want {
			t.Errorf("Credentials(%q) = %q, %q, %v; want %s", host, u, p, err, want)
		}
	}
}
