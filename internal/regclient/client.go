package regclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Manifest media types the client asks for and understands.
const (
	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeOCIManifest        = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeOCIIndex           = "application/vnd.oci.image.index.v1+json"
)

var manifestAccept = strings.Join([]string{
	MediaTypeDockerManifest, MediaTypeDockerManifestList, MediaTypeOCIManifest, MediaTypeOCIIndex,
}, ", ")

// maxManifestSize caps how much of a manifest the client reads; real ones
// are a few KB, and the registry itself refuses more than 4 MiB.
const maxManifestSize = 4 << 20

// Client talks to a registry's /v2/ API: the lab's, anonymously over plain
// HTTP, or any other, logged in with Credentials. Use it by pointer.
type Client struct {
	// BaseURL is the registry's address, such as http://127.0.0.1:5000.
	// "http://" is assumed when the scheme is missing.
	BaseURL string

	// HTTPClient makes the requests. Default: a client with a 30s timeout.
	HTTPClient *http.Client

	// Credentials, when set, answer a registry that asks for a login.
	Credentials Credentials

	mu    sync.Mutex
	authz string // the Authorization header the last challenge earned

	// pageSize, when set, asks for pages of this many entries; tests use
	// it to exercise pagination without a thousand repositories.
	pageSize int
}

// ImageSize is the size of one tagged image.
type ImageSize struct {
	Repo string `json:"repo"`
	Tag  string `json:"tag"`
	// Digest is the manifest's digest; tags sharing it are the same image.
	Digest    string `json:"digest"`
	MediaType string `json:"mediaType"`
	// Size is the compressed size: config plus layers, as pulled. For an
	// index it covers every platform, each blob counted once.
	Size int64 `json:"size"`
	// Blobs is how many distinct blobs (configs and layers) Size adds up.
	Blobs int `json:"blobs"`
}

// Sizes is what ImageSizes found.
type Sizes struct {
	// Images are sorted by repository, then tag.
	Images []ImageSize `json:"images"`
	// Total is the compressed size of all images with each blob counted
	// once, which is about what the registry stores: images built FROM the
	// same base share its layers.
	Total int64 `json:"total"`
	// Blobs is how many distinct blobs Total adds up.
	Blobs int `json:"blobs"`
}

// Catalog lists the repositories of the registry at baseURL.
func Catalog(ctx context.Context, baseURL string) ([]string, error) {
	return (&Client{BaseURL: baseURL}).Catalog(ctx)
}

// Tags lists the tags of repo in the registry at baseURL.
func Tags(ctx context.Context, baseURL, repo string) ([]string, error) {
	return (&Client{BaseURL: baseURL}).Tags(ctx, repo)
}

// ImageSizes sizes every tagged image in the registry at baseURL.
func ImageSizes(ctx context.Context, baseURL string) (*Sizes, error) {
	return (&Client{BaseURL: baseURL}).ImageSizes(ctx)
}

// Catalog lists the registry's repositories, following pagination.
func (c *Client) Catalog(ctx context.Context) ([]string, error) {
	var all []string
	err := c.paginate(ctx, "/v2/_catalog", func(body io.Reader) error {
		var page struct {
			Repositories []string `json:"repositories"`
		}
		if err := json.NewDecoder(body).Decode(&page); err != nil {
			return fmt.Errorf("failed to decode the catalog: %w", err)
		}
		all = append(all, page.Repositories...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to list repositories: %w", err)
	}
	return all, nil
}

// Tags lists the tags of repo, following pagination. A repository whose
// tags were all deleted has none, which is not an error.
func (c *Client) Tags(ctx context.Context, repo string) ([]string, error) {
	var all []string
	err := c.paginate(ctx, "/v2/"+repo+"/tags/list", func(body io.Reader) error {
		var page struct {
			Tags []string `json:"tags"`
		}
		if err := json.NewDecoder(body).Decode(&page); err != nil {
			return fmt.Errorf("failed to decode the tags: %w", err)
		}
		all = append(all, page.Tags...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to list the tags of %s: %w", repo, err)
	}
	return all, nil
}

// ImageSizes sizes every repo:tag from its manifest; it downloads no blob.
func (c *Client) ImageSizes(ctx context.Context) (*Sizes, error) {
	repos, err := c.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	s := &Sizes{}
	seen := map[string]int64{} // blob digest -> size, across all images
	// Tags often share manifests (latest and v1); fetch each once.
	cache := map[string]*manifest{}
	for _, repo := range repos {
		tags, err := c.Tags(ctx, repo)
		if err != nil {
			return nil, err
		}
		for _, tag := range tags {
			m, err := c.manifest(ctx, repo, tag, cache)
			if err != nil {
				return nil, err
			}
			blobs, err := c.blobs(ctx, repo, m, cache)
			if err != nil {
				return nil, fmt.Errorf("%s:%s: %w", repo, tag, err)
			}
			img := ImageSize{Repo: repo, Tag: tag, Digest: m.digest, MediaType: m.MediaType, Blobs: len(blobs)}
			for d, size := range blobs {
				img.Size += size
				seen[d] = size
			}
			s.Images = append(s.Images, img)
		}
	}
	for _, size := range seen {
		s.Total += size
	}
	s.Blobs = len(seen)
	sort.Slice(s.Images, func(i, j int) bool {
		a, b := s.Images[i], s.Images[j]
		return a.Repo < b.Repo || a.Repo == b.Repo && a.Tag < b.Tag
	})
	return s, nil
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// manifest covers both image manifests (config, layers) and indexes
// (manifests), Docker's and OCI's alike: they share these field names.
type manifest struct {
	MediaType string       `json:"mediaType"`
	Config    *descriptor  `json:"config"`
	Layers    []descriptor `json:"layers"`
	Manifests []descriptor `json:"manifests"`

	digest string // from Docker-Content-Digest
}

func (m *manifest) isIndex() bool {
	return m.MediaType == MediaTypeOCIIndex || m.MediaType == MediaTypeDockerManifestList ||
		m.MediaType == "" && m.Config == nil && len(m.Manifests) > 0
}

// blobs returns the distinct blobs of m with their sizes, descending into
// an index's manifests.
func (c *Client) blobs(ctx context.Context, repo string, m *manifest, cache map[string]*manifest) (map[string]int64, error) {
	out := map[string]int64{}
	if !m.isIndex() {
		if m.Config == nil {
			return nil, fmt.Errorf("manifest %s (%s) has no config: not an image manifest this client knows", m.digest, m.MediaType)
		}
		out[m.Config.Digest] = m.Config.Size
		for _, l := range m.Layers {
			out[l.Digest] = l.Size
		}
		return out, nil
	}
	for _, d := range m.Manifests {
		child, err := c.manifest(ctx, repo, d.Digest, cache)
		if err != nil {
			return nil, err
		}
		if child.isIndex() {
			return nil, fmt.Errorf("index %s nests index %s, which images do not do", m.digest, d.Digest)
		}
		blobs, err := c.blobs(ctx, repo, child, cache)
		if err != nil {
			return nil, err
		}
		for dg, size := range blobs {
			out[dg] = size
		}
	}
	return out, nil
}

// manifest fetches repo's manifest for ref (a tag or a digest).
func (c *Client) manifest(ctx context.Context, repo, ref string, cache map[string]*manifest) (*manifest, error) {
	key := repo + "@" + ref
	if m, ok := cache[key]; ok {
		return m, nil
	}
	resp, err := c.get(ctx, c.url("/v2/"+repo+"/manifests/"+ref), manifestAccept)
	if err != nil {
		return nil, fmt.Errorf("failed to get the manifest of %s:%s: %w", repo, ref, err)
	}
	defer resp.Body.Close()
	var m manifest
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxManifestSize)).Decode(&m); err != nil {
		return nil, fmt.Errorf("failed to decode the manifest of %s:%s: %w", repo, ref, err)
	}
	// The header is authoritative; OCI manifests may omit mediaType.
	if ct, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";"); ct != "" && ct != "application/json" {
		m.MediaType = strings.TrimSpace(ct)
	}
	m.digest = resp.Header.Get("Docker-Content-Digest")
	cache[key] = &m
	if m.digest != "" {
		cache[repo+"@"+m.digest] = &m
	}
	return &m, nil
}

// paginate GETs path and every next page its Link headers point to.
func (c *Client) paginate(ctx context.Context, path string, page func(io.Reader) error) error {
	u := c.url(path)
	if c.pageSize > 0 {
		u += "?n=" + strconv.Itoa(c.pageSize)
	}
	for u != "" {
		resp, err := c.get(ctx, u, "application/json")
		if err != nil {
			return err
		}
		err = page(resp.Body)
		next := nextLink(resp.Header.Get("Link"))
		resp.Body.Close()
		if err != nil {
			return err
		}
		u = ""
		if next != "" {
			ref, err := url.Parse(next)
			if err != nil {
				return fmt.Errorf("bad Link header %q: %w", next, err)
			}
			base, err := url.Parse(c.url(""))
			if err != nil {
				return err
			}
			u = base.ResolveReference(ref).String()
		}
	}
	return nil
}

// nextLink extracts the target of rel="next" from a Link header such as
// </v2/_catalog?last=b&n=2>; rel="next".
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		target, params, ok := strings.Cut(part, ";")
		if !ok || !strings.Contains(strings.ReplaceAll(params, " ", ""), `rel="next"`) {
			continue
		}
		target = strings.TrimSpace(target)
		if strings.HasPrefix(target, "<") && strings.HasSuffix(target, ">") {
			return target[1 : len(target)-1]
		}
	}
	return ""
}

func (c *Client) url(path string) string {
	base := strings.TrimRight(c.BaseURL, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return base + path
}
