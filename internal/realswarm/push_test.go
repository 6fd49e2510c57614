package realswarm

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/regclient"
	"github.com/swarmlab/swarmlab/internal/registry"
)

// tokenRegistry is the embedded registry behind Bearer-token auth, as Docker
// Hub and most hosted registries answer: a token from /token for user:pass.
func tokenRegistry(t *testing.T) *httptest.Server {
	t.Helper()
	r, err := registry.New(context.Background(), registry.Config{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/token" {
			if u, p, _ := req.BasicAuth(); u != "user" || p != "pass" || !strings.Contains(req.URL.Query().Get("scope"), "repository:") {
				http.Error(w, `{"errors":[{"code":"DENIED","message":"bad login"}]}`, http.StatusUnauthorized)
				return
			}
			w.Write([]byte(`{"token":"tok"}`))
			return
		}
		if req.Header.Get("Authorization") != "Bearer tok" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+srv.URL+`/token",service="test",scope="repository:x/ingress:pull,push"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		r.Handler().ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPushMultiArchWithLogin(t *testing.T) {
	srv := tokenRegistry(t)
	dir := t.TempDir()
	bins := map[string]string{}
	for _, arch := range []string{"amd64", "arm64"} {
		bins[arch] = filepath.Join(dir, arch)
		os.WriteFile(bins[arch], []byte("server for "+arch), 0o755)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	login := func(h string) (string, string, error) {
		if h != host {
			t.Errorf("asked a login for %q, want %q", h, host)
		}
		return "user", "pass", nil
	}
	o := PushOptions{Repo: host + "/x", Tag: "1.0", Binaries: bins, Credentials: login}
	pushed, err := Push(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(pushed) != 2 || pushed[0].Ref != host+"/x/ingress:1.0" || !reflect.DeepEqual(pushed[1].Platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Fatalf("pushed = %+v", pushed)
	}
	c := &regclient.Client{BaseURL: srv.URL, Credentials: login}
	for _, r := range Roles {
		plats, mt, err := c.Platforms(context.Background(), "x/"+r.Name, "1.0")
		if err != nil {
			t.Fatal(err)
		}
		if mt != "application/vnd.oci.image.index.v1+json" || len(plats) != 2 || plats[0].String() != "linux/amd64" || plats[1].String() != "linux/arm64" {
			t.Errorf("%s: %s %v", r.Name, mt, plats)
		}
	}
	// The same binaries make the same digests: a second push changes nothing.
	again, err := Push(context.Background(), o)
	if err != nil || again[0].Digest != pushed[0].Digest {
		t.Fatalf("push again: %v, digest %s then %s", err, pushed[0].Digest, again[0].Digest)
	}
	o.Credentials = func(string) (string, string, error) { return "user", "wrong", nil }
	if _, err := Push(context.Background(), o); err == nil || !strings.Contains(err.Error(), "bad login") {
		t.Errorf("a wrong login: err = %v", err)
	}
}

func TestParseRepo(t *testing.T) {
	tests := []struct {
		in       string
		insecure bool
		want     Target
		bad      bool
	}{
		{in: "registry.example.com/swarmlab", want: Target{Host: "registry.example.com", API: "https://registry.example.com", Prefix: "swarmlab"}},
		{in: "127.0.0.1:5000/swarmlab", want: Target{Host: "127.0.0.1:5000", API: "http://127.0.0.1:5000", Prefix: "swarmlab"}},
		{in: "localhost:5000", want: Target{Host: "localhost:5000", API: "http://localhost:5000"}},
		{in: "reg.lan:5000/a/b", insecure: true, want: Target{Host: "reg.lan:5000", API: "http://reg.lan:5000", Prefix: "a/b"}},
		{in: "someone", want: Target{Host: "docker.io", API: "https://registry-1.docker.io", Prefix: "someone"}},
		{in: "registry.example.com/swarmlab:1.0", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseRepo(tt.in, tt.insecure)
		if (err != nil) != tt.bad || !tt.bad && got != tt.want {
			t.Errorf("ParseRepo(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}
