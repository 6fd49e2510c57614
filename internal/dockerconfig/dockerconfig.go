package dockerconfig

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	credclient "github.com/docker/docker-credential-helpers/client"

	"github.com/swarmlab/swarmlab/internal/cli"
)

// Dir is the docker CLI's config folder: $DOCKER_CONFIG, else ~/.docker.
func Dir() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".docker"
	}
	return filepath.Join(home, ".docker")
}

// File is the part of config.json swarmlab reads.
type File struct {
	Auths          map[string]AuthEntry `json:"auths"`
	CredsStore     string               `json:"credsStore"`
	CredHelpers    map[string]string    `json:"credHelpers"`
	CurrentContext string               `json:"currentContext"`
}

// AuthEntry is one registry's entry under auths.
type AuthEntry struct {
	Auth          string `json:"auth"` // base64 of user:password
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
}

// Load reads config.json in dir; a missing file is an empty config.
func Load(dir string) (File, error) {
	var f File
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
	}
	return f, nil
}

// CurrentContext is the context the docker CLI would use: DOCKER_CONTEXT,
// else currentContext in config.json, else "default".
func CurrentContext(dir string) string {
	if c := os.Getenv("DOCKER_CONTEXT"); c != "" {
		return c
	}
	if f, err := Load(dir); err == nil && f.CurrentContext != "" {
		return f.CurrentContext
	}
	return "default"
}

// Endpoint is where a context's engine is.
type Endpoint struct {
	Context       string
	Host          string // unix://, npipe://, tcp:// or ssh://
	SkipTLSVerify bool
	TLSDir        string // holds ca.pem, cert.pem, key.pem; "" without TLS material
}

// ContextEndpoint reads a context from the store in dir, as 'docker
// context create' wrote it.
func ContextEndpoint(dir, name string) (Endpoint, error) {
	id := contextID(name)
	data, err := os.ReadFile(filepath.Join(dir, "contexts", "meta", id, "meta.json"))
	if errors.Is(err, os.ErrNotExist) {
		return Endpoint{}, cli.WithHint(fmt.Errorf("no Docker context %q in %s", name, dir), "list them with 'docker context ls'; make one for a manager of your swarm with 'docker context create NAME --docker host=ssh://USER@MANAGER'")
	}
	if err != nil {
		return Endpoint{}, err
	}
	var meta struct {
		Endpoints map[string]struct {
			Host          string
			SkipTLSVerify bool
		}
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		return Endpoint{}, fmt.Errorf("context %q: %w", name, err)
	}
	ep, ok := meta.Endpoints["docker"]
	if !ok || ep.Host == "" {
		return Endpoint{}, fmt.Errorf("context %q has no Docker endpoint", name)
	}
	out := Endpoint{Context: name, Host: ep.Host, SkipTLSVerify: ep.SkipTLSVerify}
	if tls := filepath.Join(dir, "contexts", "tls", id, "docker"); exists(filepath.Join(tls, "ca.pem")) || exists(filepath.Join(tls, "cert.pem")) {
		out.TLSDir = tls
	}
	return out, nil
}

// contextID is the store's folder name for a context: its name's SHA-256.
func contextID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// Credentials returns the login 'docker login HOST' stored for a registry
// host, from its credential helper, the credsStore or auths; empty when
// there is none. Docker Hub is stored under its v1 address.
func (f File) Credentials(host string) (user, secret string, err error) {
	key := host
	if host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io" {
		key = "https://index.docker.io/v1/"
	}
	helper := f.CredHelpers[host]
	if helper == "" {
		helper = f.CredsStore
	}
	if helper != "" {
		c, err := credclient.Get(credclient.NewShellProgramFunc("docker-credential-"+helper), key)
		if err == nil {
			return c.Username, c.Secret, nil
		}
		if !strings.Contains(err.Error(), "credentials not found") {
			return "", "", fmt.Errorf("docker-credential-%s: %w", helper, err)
		}
	}
	for k, a := range f.Auths {
		if k != key && strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(k, "https://"), "http://"), "/") != key {
			continue
		}
		if a.IdentityToken != "" {
			return "<token>", a.IdentityToken, nil
		}
		if a.Auth != "" {
			raw, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return "", "", fmt.Errorf("auths[%s]: %w", k, err)
			}
			u, p, _ := strings.Cut(string(raw), ":")
			return u, p, nil
		}
		return a.Username, a.Password, nil
	}
	return "", "", nil
}
