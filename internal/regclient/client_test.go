package regclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/registry"
)

// newTestRegistry serves an embedded registry on a temporary directory.
func newTestRegistry(t *testing.T) *httptest.Server {
	t.Helper()
	r, err := registry.New(context.Background(), registry.Config{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(func() {
		srv.Close()
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func do(t *testing.T, method, u, contentType string, body []byte, wantStatus int) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantStatus {
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("%s %s = %d, want %d: %s", method, u, resp.StatusCode, wantStatus, msg)
	}
	return resp
}

// pushBlob uploads b into repo the way docker push does when the blob is
// small: open an upload session, then PUT the whole blob with its digest.
func pushBlob(t *testing.T, base, repo string, b []byte) descriptor {
	t.Helper()
	resp := do(t, http.MethodPost, base+"/v2/"+repo+"/blobs/uploads/", "", nil, http.StatusAccepted)
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	baseURL, _ := url.Parse(base)
	u := baseURL.ResolveReference(loc)
	q := u.Query()
	q.Set("digest", digestOf(b))
	u.RawQuery = q.Encode()
	resp = do(t, http.MethodPut, u.String(), "application/octet-stream", b, http.StatusCreated)
	resp.Body.Close()
	if got := resp.Header.Get("Docker-Content-Digest"); got != digestOf(b) {
		t.Fatalf("blob digest = %q, want %q", got, digestOf(b))
	}
	return descriptor{Digest: digestOf(b), Size: int64(len(b))}
}

// pushManifest PUTs m under ref (a tag or its digest) and returns its digest.
func pushManifest(t *testing.T, base, repo, ref, mediaType string, m []byte) string {
	t.Helper()
	resp := do(t, http.MethodPut, base+"/v2/"+repo+"/manifests/"+ref, mediaType, m, http.StatusCreated)
	resp.Body.Close()
	if got := resp.Header.Get("Docker-Content-Digest"); got != digestOf(m) {
		t.Fatalf("manifest digest = %q, want %q", got, digestOf(m))
	}
	return digestOf(m)
}

type testImage struct {
	config descriptor
	layers []descriptor
	// manifest and its digest, as pushed
	manifest []byte
	digest   string
}

func (img testImage) size() int64 {
	n := img.config.Size
	for _, l := range img.layers {
		n += l.Size
	}
	return n
}

// pushImage pushes a one-platform image made of the given layer contents
// and tags it; mediaType picks Docker schema2 or OCI.
func pushImage(t *testing.T, base, repo, tag, mediaType string, layers ...string) testImage {
	t.Helper()
	layerType, configType := "application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.container.image.v1+json"
	if mediaType == MediaTypeOCIManifest {
		layerType, configType = "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.config.v1+json"
	}
	var img testImage
	var diffIDs []string
	for _, l := range layers {
		d := pushBlob(t, base, repo, []byte(l))
		d.MediaType = layerType
		img.layers = append(img.layers, d)
		diffIDs = append(diffIDs, d.Digest)
	}
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Cmd": []string{"/" + repo}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	img.config = pushBlob(t, base, repo, cfg)
	img.config.MediaType = configType
	img.manifest, _ = json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": mediaType, "config": img.config, "layers": img.layers,
	})
	img.digest = pushManifest(t, base, repo, tag, mediaType, img.manifest)
	return img
}

// TestPushPullRoundTrip proves the embedded registry works as docker uses
// it: what is pushed comes back, byte for byte, by digest.
func TestPushPullRoundTrip(t *testing.T) {
	t.Parallel()
	base := newTestRegistry(t).URL
	img := pushImage(t, base, "swtest/api", "v1", MediaTypeDockerManifest, "layer one", "layer two")

	req, _ := http.NewRequest(http.MethodGet, base+"/v2/swtest/api/manifests/"+img.digest, nil)
	req.Header.Set("Accept", MediaTypeDockerManifest)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, img.manifest) {
		t.Fatalf("manifest by digest: %d %s\nwant %s", resp.StatusCode, got, img.manifest)
	}
	if ct := resp.Header.Get("Content-Type"); ct != MediaTypeDockerManifest {
		t.Errorf("manifest Content-Type = %q", ct)
	}

	var m manifest
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatal(err)
	}
	for _, d := range append([]descriptor{*m.Config}, m.Layers...) {
		resp := do(t, http.MethodGet, base+"/v2/swtest/api/blobs/"+d.Digest, "", nil, http.StatusOK)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if digestOf(b) != d.Digest || int64(len(b)) != d.Size {
			t.Errorf("blob %s came back as %s (%d bytes, want %d)", d.Digest, digestOf(b), len(b), d.Size)
		}
	}

	// Deletion is enabled: without it the registry answers 405.
	do(t, http.MethodDelete, base+"/v2/swtest/api/manifests/"+img.digest, "", nil, http.StatusAccepted).Body.Close()
	do(t, http.MethodGet, base+"/v2/swtest/api/manifests/"+img.digest, "", nil, http.StatusNotFound).Body.Close()
}

// childTag is a throwaway tag for an index's child manifest.
const childTag = "child"

func TestClientAgainstEmbeddedRegistry(t *testing.T) {
	t.Parallel()
	base := newTestRegistry(t).URL
	// Stands for a base image's layer, shared by all three images.
	shared := strings.Repeat("base layer ", 100)

	a := pushImage(t, base, "swtest/api", "v1", MediaTypeDockerManifest, shared, "api binary")
	pushManifest(t, base, "swtest/api", "latest", MediaTypeDockerManifest, a.manifest)
	b := pushImage(t, base, "swtest/proxy", "v1", MediaTypeDockerManifest, shared, "proxy binary")

	// An OCI index with one platform: the child goes by digest, then the
	// index gets the tag, as buildx pushes it.
	c := pushImage(t, base, "swtest/web", childTag, MediaTypeOCIManifest, shared, "web binary")
	index, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": MediaTypeOCIIndex,
		"manifests": []map[string]any{{
			"mediaType": MediaTypeOCIManifest, "digest": c.digest, "size": len(c.manifest),
			"platform": map[string]string{"architecture": "amd64", "os": "linux"},
		}},
	})
	indexDigest := pushManifest(t, base, "swtest/web", "v1", MediaTypeOCIIndex, index)
	// The child's placeholder tag is not what a user pushes; drop it.
	do(t, http.MethodDelete, base+"/v2/swtest/web/manifests/"+childTag, "", nil, http.StatusAccepted).Body.Close()

	ctx := context.Background()
	repos, err := Catalog(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	// Non-empty: a hand-made distribution config answers [] here.
	if want := []string{"swtest/api", "swtest/proxy", "swtest/web"}; !reflect.DeepEqual(repos, want) {
		t.Fatalf("Catalog = %q, want %q", repos, want)
	}
	// Small pages make the client follow Link headers.
	paged, err := (&Client{BaseURL: strings.TrimPrefix(base, "http://"), pageSize: 1}).Catalog(ctx)
	if err != nil || !reflect.DeepEqual(paged, repos) {
		t.Fatalf("paged Catalog = %q, %v; want %q", paged, err, repos)
	}

	tags, err := Tags(ctx, base, "swtest/api")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"latest", "v1"}; !reflect.DeepEqual(tags, want) {
		t.Errorf("Tags = %q, want %q", tags, want)
	}
	if _, err := Tags(ctx, base, "nope"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Tags of a missing repository: err = %v, want a 404", err)
	}

	sizes, err := ImageSizes(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	want := []ImageSize{
		{Repo: "swtest/api", Tag: "latest", Digest: a.digest, MediaType: MediaTypeDockerManifest, Size: a.size(), Blobs: 3},
		{Repo: "swtest/api", Tag: "v1", Digest: a.digest, MediaType: MediaTypeDockerManifest, Size: a.size(), Blobs: 3},
		{Repo: "swtest/proxy", Tag: "v1", Digest: b.digest, MediaType: MediaTypeDockerManifest, Size: b.size(), Blobs: 3},
		{Repo: "swtest/web", Tag: "v1", Digest: indexDigest, MediaType: MediaTypeOCIIndex, Size: c.size(), Blobs: 3},
	}
	if !reflect.DeepEqual(sizes.Images, want) {
		t.Errorf("Images =\n%+v\nwant\n%+v", sizes.Images, want)
	}
	// The shared layer once, not three times; the two api tags once.
	wantTotal := a.size() + b.size() + c.size() - 2*int64(len(shared))
	if sizes.Total != wantTotal || sizes.Blobs != 7 {
		t.Errorf("Total = %d in %d blobs, want %d in 7", sizes.Total, sizes.Blobs, wantTotal)
	}
}

func TestClientReportsRegistryErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
	}))
	defer srv.Close()
	_, err := Catalog(context.Background(), srv.URL)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "authentication required") {
		t.Errorf("err = %v, want the status and the registry's message", err)
	}
}

func TestNextLink(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		``:                                      ``,
		`</v2/_catalog?last=b&n=2>; rel="next"`: `/v2/_catalog?last=b&n=2`,
		`<http://r:5000/v2/x/tags/list?n=1&last=v1>; rel="next"`:                 `http://r:5000/v2/x/tags/list?n=1&last=v1`,
		`</v2/_catalog?last=a>; rel="prev", </v2/_catalog?last=c>; rel = "next"`: `/v2/_catalog?last=c`,
		`</v2/_catalog?last=a>; rel="prev"`:                                      ``,
	}
	for in, want := range tests {
		if got := nextLink(in); got != want {
			t.Errorf("nextLink(%q) = %q, want %q", in, got, want)
		}
	}
}
