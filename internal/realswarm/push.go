package realswarm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/payload"
	"github.com/swarmlab/swarmlab/internal/regclient"
)

// PushOptions say where Push pushes, and with what.
type PushOptions struct {
	// Repo is REGISTRY/PREFIX, such as registry.example.com/swarmlab; each
	// role goes to Repo/ROLE:Tag. A first part without a dot or a colon is
	// a Docker Hub user, as for docker push.
	Repo string
	Tag  string
	// Insecure pushes over plain HTTP, as loopback registries always are.
	Insecure bool
	// Binaries overrides the server binary of an architecture (amd64,
	// arm64) with a file; by default the ones this swarmlab carries.
	Binaries    map[string]string
	Credentials regclient.Credentials
	Progress    func(string)
}

// Pushed is one multi-arch image pushed.
type Pushed struct {
	Ref       string // REGISTRY/PREFIX/ROLE:TAG
	Digest    string // of the index
	Platforms []string
}

// Target is a parsed PushOptions.Repo.
type Target struct {
	Host   string // as logins are stored: docker.io, registry.example.com:5000
	API    string // base URL of the /v2/ API
	Prefix string // repository path before the role's name; may be ""
}

// ParseRepo splits REGISTRY/PREFIX as docker names images.
func ParseRepo(repo string, insecure bool) (Target, error) {
	repo = strings.Trim(repo, "/")
	first, rest, _ := strings.Cut(repo, "/")
	hub := !strings.ContainsAny(first, ".:") && first != "localhost"
	if hub {
		rest = repo
	}
	if repo == "" || strings.ContainsAny(rest, " :@") {
		return Target{}, cli.WithHint(fmt.Errorf("%q is not a registry and a repository prefix", repo), "give REGISTRY/PREFIX, such as registry.example.com/swarmlab or 127.0.0.1:5000/swarmlab; the tag goes in --tag")
	}
	if hub {
		return Target{Host: "docker.io", API: "https://registry-1.docker.io", Prefix: repo}, nil
	}
	scheme := "https://"
	if insecure || isLoopback(first) {
		scheme = "http://"
	}
	return Target{Host: first, API: scheme + first, Prefix: rest}, nil
}

// isLoopback: docker itself talks plain HTTP to registries on loopback.
func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (t Target) repo(role string) string {
	if t.Prefix == "" {
		return role
	}
	return t.Prefix + "/" + role
}

// binaries returns the server binary of each architecture Push can build.
func binaries(override map[string]string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, arch := range []string{"amd64", "arm64"} {
		var b []byte
		var err error
		switch path, ok := override[arch]; {
		case ok:
			b, err = os.ReadFile(path)
		case payload.Has(arch):
			b, err = payload.Binary(arch)
		case payload.SelfServes && runtime.GOOS == "linux" && runtime.GOARCH == arch:
			var exe string
			if exe, err = os.Executable(); err == nil {
				b, err = os.ReadFile(exe)
			}
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		out[arch] = b
	}
	if len(out) == 0 {
		return nil, cli.WithHint(errors.New("this swarmlab carries no Linux server binary to make the images of"), "use the release archive, which carries both, or pass --binary linux/amd64=PATH")
	}
	return out, nil
}

// Push builds each role's image for every architecture there is a binary
// for and pushes it as one OCI index per role.
func Push(ctx context.Context, o PushOptions) ([]Pushed, error) {
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	t, err := ParseRepo(o.Repo, o.Insecure)
	if err != nil {
		return nil, err
	}
	bins, err := binaries(o.Binaries)
	if err != nil {
		return nil, err
	}
	c := &regclient.Client{BaseURL: t.API, Credentials: o.Credentials}
	layers := map[string]layer{}
	for arch, bin := range bins {
		progress("layer for linux/" + arch)
		if layers[arch], err = binaryLayer(bin); err != nil {
			return nil, err
		}
	}
	var out []Pushed
	mountFrom := ""
	for _, r := range Roles {
		repo := t.repo(r.Name)
		var imgs []image
		for _, arch := range []string{"amd64", "arm64"} {
			l, ok := layers[arch]
			if !ok {
				continue
			}
			img, err := buildImage(r, arch, o.Tag, l)
			if err != nil {
				return nil, err
			}
			progress(fmt.Sprintf("%s linux/%s", repo, arch))
			// The layer is the same for every role: mount it after the first.
			if err := c.PushBlob(ctx, repo, l.data, mountFrom); err != nil {
				return nil, pushErr(err, t)
			}
			if err := c.PushBlob(ctx, repo, img.config, ""); err != nil {
				return nil, pushErr(err, t)
			}
			d := descriptor(ocispec.MediaTypeImageManifest, img.manifest)
			if _, err := c.PushManifest(ctx, repo, d.Digest.String(), ocispec.MediaTypeImageManifest, img.manifest); err != nil {
				return nil, pushErr(err, t)
			}
			imgs = append(imgs, img)
		}
		idx, err := index(imgs)
		if err != nil {
			return nil, err
		}
		dg, err := c.PushManifest(ctx, repo, o.Tag, ocispec.MediaTypeImageIndex, idx)
		if err != nil {
			return nil, pushErr(err, t)
		}
		p := Pushed{Ref: t.Host + "/" + repo + ":" + o.Tag, Digest: dg}
		for _, img := range imgs {
			p.Platforms = append(p.Platforms, "linux/"+img.arch)
		}
		out = append(out, p)
		mountFrom = repo
	}
	return out, nil
}

// pushErr adds what to do about the usual refusals.
func pushErr(err error, t Target) error {
	var se *regclient.StatusError
	if errors.As(err, &se) && (se.Status == 401 || se.Status == 403) {
		return cli.WithHint(err, fmt.Sprintf("log in first with 'docker login %s' (swarmlab uses the same login)", t.Host))
	}
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return cli.WithHint(err, "this registry speaks plain HTTP: add --insecure")
	}
	return err
}
