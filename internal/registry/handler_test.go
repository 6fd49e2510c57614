package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
)

const (
	mtSchema2  = "application/vnd.docker.distribution.manifest.v2+json"
	mtList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtOCI      = "application/vnd.oci.image.manifest.v1+json"
	mtOCIIndex = "application/vnd.oci.image.index.v1+json"
	acceptAll  = mtSchema2 + ", " + mtList + ", " + mtOCI + ", " + mtOCIIndex
)

type testRegistry struct {
	t    *testing.T
	base string
}

func newTestServer(t *testing.T) *testRegistry {
	t.Helper()
	r, err := New(context.Background(), Config{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(func() {
		srv.Close()
		r.Close()
	})
	return &testRegistry{t: t, base: srv.URL}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

// errCodes returns the codes of a spec error body.
func (r resp) errCodes() []string {
	var e struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(r.body, &e)
	var out []string
	for _, x := range e.Errors {
		out = append(out, x.Code)
	}
	return out
}

// do sends a request; hdr is pairs of header name and value.
func (tr *testRegistry) do(method, path string, body []byte, hdr ...string) resp {
	tr.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = tr.base + path
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		tr.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tr.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tr.t.Fatal(err)
	}
	return resp{res.StatusCode, res.Header, b}
}

// want checks the status, and for an error the spec's code.
func (tr *testRegistry) want(what string, r resp, status int, code string) {
	tr.t.Helper()
	if r.status != status {
		tr.t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
	if code != "" {
		if got := r.errCodes(); len(got) == 0 || got[0] != code {
			tr.t.Fatalf("%s: codes %v, want %s: %s", what, got, code, r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			tr.t.Errorf("%s: error Content-Type %q", what, ct)
		}
	}
	if v := r.header.Get("Docker-Distribution-API-Version"); v != "registry/2.0" {
		tr.t.Errorf("%s: API version header %q", what, v)
	}
}

// pushBlob uploads b to repo monolithically and returns its digest.
func (tr *testRegistry) pushBlob(repo string, b []byte) string {
	tr.t.Helper()
	d := sha(b)
	r := tr.do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/?digest="+d, b, "Content-Type", "application/octet-stream")
	tr.want("monolithic POST", r, http.StatusCreated, "")
	if r.header.Get("Docker-Content-Digest") != d || r.header.Get("Location") != "/v2/"+repo+"/blobs/"+d {
		tr.t.Fatalf("monolithic POST headers: %v", r.header)
	}
	return d
}

type desc struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int    `json:"size"`
}

// image pushes a config and one layer to repo and returns a manifest of
// mediaType that references them (not pushed).
func (tr *testRegistry) image(repo, mediaType, seed string) []byte {
	tr.t.Helper()
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"seed":"` + seed + `"}`)
	layer := []byte("layer of " + seed)
	ct, lt := "application/vnd.docker.container.image.v1+json", "application/vnd.docker.image.rootfs.diff.tar.gzip"
	if mediaType == mtOCI {
		ct, lt = "application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip"
	}
	m := struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        desc   `json:"config"`
		Layers        []desc `json:"layers"`
	}{2, mediaType, desc{ct, tr.pushBlob(repo, config), len(config)}, []desc{{lt, tr.pushBlob(repo, layer), len(layer)}}}
	b, err := json.Marshal(m)
	if err != nil {
		tr.t.Fatal(err)
	}
	return b
}

func TestBase(t *testing.T) {
	t.Parallel()
	tr := newTestServer(t)
	r := tr.do(http.MethodGet, "/v2/", nil)
	tr.want("GET /v2/", r, http.StatusOK, "")
	if string(r.body) != "{}" {
		t.Errorf("body %q", r.body)
	}
	tr.want("HEAD /v2/", tr.do(http.MethodHead, "/v2/", nil), http.StatusOK, "")
	tr.want("POST /v2/", tr.do(http.MethodPost, "/v2/", nil), http.StatusMethodNotAllowed, "UNSUPPORTED")
	tr.want("unknown endpoint", tr.do(http.MethodGet, "/v2/a/unknown", nil), http.StatusNotFound, "")
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tr := newTestServer(t)
	const missing = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	const id = "6f1c0b8e-3a52-4f0e-9d3e-2b7c1a9e8d10"
	tests := []struct {
		method, path string
		body         []byte
		hdr          []string
		status       int
		code         string
	}{
		{"GET", "/v2/a/blobs/" + missing, nil, nil, 404, "BLOB_UNKNOWN"},
		{"HEAD", "/v2/a/blobs/" + missing, nil, nil, 404, ""},
		{"GET", "/v2/a/blobs/sha256:xyz", nil, nil, 400, "DIGEST_INVALID"},
		{"GET", "/v2/a/blobs/notadigest:", nil, nil, 400, "DIGEST_INVALID"},
		{"GET", "/v2/a/manifests/latest", nil, nil, 404, "MANIFEST_UNKNOWN"},
		{"HEAD", "/v2/a/manifests/latest", nil, nil, 404, ""},
		{"GET", "/v2/a/manifests/" + missing, nil, nil, 404, "MANIFEST_UNKNOWN"},
		{"GET", "/v2/a/manifests/-bad-tag", nil, nil, 400, "TAG_INVALID"},
		{"GET", "/v2/a/manifests/sha256:12", nil, nil, 400, "DIGEST_INVALID"},
		{"DELETE", "/v2/a/manifests/latest", nil, nil, 404, "MANIFEST_UNKNOWN"},
		{"DELETE", "/v2/a/blobs/" + missing, nil, nil, 404, "BLOB_UNKNOWN"},
		{"GET", "/v2/Upper/tags/list", nil, nil, 400, "NAME_INVALID"},
		{"GET", "/v2/a..b/tags/list", nil, nil, 400, "NAME_INVALID"},
		{"GET", "/v2/example.com:5000/a/tags/list", nil, nil, 400, "NAME_INVALID"},
		{"GET", "/v2/Example.com/a/tags/list", nil, nil, 400, "NAME_INVALID"},
		{"GET", "/v2/" + strings.Repeat("a", 256) + "/tags/list", nil, nil, 400, "NAME_INVALID"},
		{"POST", "/v2/a_/blobs/uploads/", nil, nil, 400, "NAME_INVALID"},
		{"GET", "/v2/nothere/tags/list", nil, nil, 404, "NAME_UNKNOWN"},
		{"GET", "/v2/a/tags/list?n=-1", nil, nil, 400, "PAGINATION_NUMBER_INVALID"},
		{"GET", "/v2/_catalog?n=x", nil, nil, 400, "PAGINATION_NUMBER_INVALID"},
		{"GET", "/v2/_catalog?last=../../x", nil, nil, 400, "NAME_INVALID"},
		{"GET", "/v2/a/tags/list?last=../x", nil, nil, 400, "TAG_INVALID"},
		{"GET", "/v2/a/blobs/uploads/" + id, nil, nil, 404, "BLOB_UPLOAD_UNKNOWN"},
		{"PATCH", "/v2/a/blobs/uploads/" + id, []byte("x"), nil, 404, "BLOB_UPLOAD_UNKNOWN"},
		{"PUT", "/v2/a/blobs/uploads/../../x", nil, nil, 404, ""},
		{"DELETE", "/v2/a/blobs/uploads/not-an-id", nil, nil, 404, "BLOB_UPLOAD_UNKNOWN"},
		{"POST", "/v2/a/blobs/uploads/?digest=sha256:zz", []byte("x"), nil, 400, "DIGEST_INVALID"},
		{"POST", "/v2/a/blobs/uploads/?digest=" + missing, []byte("x"), nil, 400, "DIGEST_INVALID"},
		{"POST", "/v2/a/manifests/latest", nil, nil, 405, "UNSUPPORTED"},
		{"PUT", "/v2/a/blobs/" + missing, nil, nil, 405, "UNSUPPORTED"},
		{"GET", "/v2/a/blobs/uploads/", nil, nil, 405, "UNSUPPORTED"},
		{"PUT", "/v2/a/manifests/latest", []byte("{"), []string{"Content-Type", mtSchema2}, 400, "MANIFEST_INVALID"},
		{"PUT", "/v2/a/manifests/latest", bytes.Repeat([]byte(" "), maxManifestSize+1), []string{"Content-Type", mtSchema2}, 413, "MANIFEST_INVALID"},
	}
	for _, tt := range tests {
		what := tt.method + " " + tt.path
		if len(what) > 80 {
			what = what[:80]
		}
		r := tr.do(tt.method, tt.path, tt.body, tt.hdr...)
		if r.status != tt.status {
			t.Errorf("%s: status %d, want %d: %.200s", what, r.status, tt.status, r.body)
			continue
		}
		if tt.code != "" {
			if got := r.errCodes(); len(got) == 0 || got[0] != tt.code {
				t.Errorf("%s: codes %v, want %s", what, got, tt.code)
			}
		}
		if tt.status == 405 && r.header.Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", what)
		}
	}
}

func TestBlobPushAndPull(t *testing.T) {
	t.Parallel()
	tr := newTestServer(t)
	blob := []byte("0123456789abcdefghij")
	d := tr.pushBlob("swtest/api", blob)

	r := tr.do(http.MethodGet, "/v2/swtest/api/blobs/"+d, nil)
	tr.want("GET blob", r, http.StatusOK, "")
	if !bytes.Equal(r.body, blob) || r.header.Get("Docker-Content-Digest") != d || r.header.Get("Content-Length") != "20" {
		t.Errorf("GET blob: %q %v", r.body, r.header)
	}
	r = tr.do(http.MethodHead, "/v2/swtest/api/blobs/"+d, nil)
	tr.want("HEAD blob", r, http.StatusOK, "")
	if len(r.body) != 0 || r.header.Get("Content-Length") != "20" || r.header.Get("Docker-Content-Digest") != d {
		t.Errorf("HEAD blob: %q %v", r.body, r.header)
	}
	r = tr.do(http.MethodGet, "/v2/swtest/api/blobs/"+d, nil, "Range", "bytes=5-9")
	tr.want("ranged GET", r, http.StatusPartialContent, "")
	if string(r.body) != "56789" || r.header.Get("Content-Range") != "bytes 5-9/20" {
		t.Errorf("ranged GET: %q %v", r.body, r.header)
	}
	// A blob is in the repositories it was pushed or mounted to only.
	tr.want("other repo", tr.do(http.MethodGet, "/v2/other/blobs/"+d, nil), http.StatusNotFound, "BLOB_UNKNOWN")

	tr.want("DELETE blob", tr.do(http.MethodDelete, "/v2/swtest/api/blobs/"+d, nil), http.StatusAccepted, "")
	tr.want("GET deleted blob", tr.do(http.MethodGet, "/v2/swtest/api/blobs/"+d, nil), http.StatusNotFound, "BLOB_UNKNOWN")
}

func TestChunkedUpload(t *testing.T) {
	t.Parallel()
	tr := newTestServer(t)
	blob := []byte("aaaaabbbbbcccccddddd")
	r := tr.do(http.MethodPost, "/v2/t/node/blobs/uploads/", nil)
	tr.want("POST", r, http.StatusAccepted, "")
	loc, id := r.header.Get("Location"), r.header.Get("Docker-Upload-UUID")
	if id == "" || loc != "/v2/t/node/blobs/uploads/"+id || r.header.Get("Range") != "0-0" || r.header.Get("Content-Length") != "0" {
		t.Fatalf("POST headers: %v", r.header)
	}
	r = tr.do(http.MethodPatch, loc, blob[:5], "Content-Range", "0-4", "Content-Type", "application/octet-stream")
	tr.want("PATCH 0-4", r, http.StatusAccepted, "")
	if r.header.Get("Range") != "0-4" || r.header.Get("Location") != loc || r.header.Get("Docker-Upload-UUID") != id {
		t.Fatalf("PATCH headers: %v", r.header)
	}
	// Out of order: the registry has 5 bytes, the chunk starts at 10.
	r = tr.do(http.MethodPatch, loc, blob[10:15], "Content-Range", "10-14")
	tr.want("PATCH out of order", r, http.StatusRequestedRangeNotSatisfiable, "RANGE_INVALID")
	if r.header.Get("Range") != "0-4" {
		t.Errorf("416 tells Range %q, want 0-4", r.header.Get("Range"))
	}
	// A chunk whose range and length disagree.
	tr.want("PATCH bad length", tr.do(http.MethodPatch, loc, blob[5:9], "Content-Range", "5-9"), http.StatusBadRequest, "SIZE_INVALID")
	// Streamed: no Content-Range, appended where the upload stands.
	r = tr.do(http.MethodPatch, loc, blob[5:10])
	tr.want("streamed PATCH", r, http.StatusAccepted, "")
	if r.header.Get("Range") != "0-9" {
		t.Fatalf("streamed PATCH Range %q", r.header.Get("Range"))
	}
	r = tr.do(http.MethodGet, loc, nil)
	tr.want("status", r, http.StatusNoContent, "")
	if r.header.Get("Range") != "0-9" || r.header.Get("Location") != loc {
		t.Fatalf("status headers: %v", r.header)
	}
	tr.want("PUT without digest", tr.do(http.MethodPut, loc, nil), http.StatusBadRequest, "DIGEST_INVALID")
	tr.want("PUT final chunk out of order", tr.do(http.MethodPut, loc+"?digest="+sha(blob), blob[15:], "Content-Range", "15-19"),
		http.StatusRequestedRangeNotSatisfiable, "RANGE_INVALID")
	tr.want("PATCH 10-14", tr.do(http.MethodPatch, loc, blob[10:15], "Content-Range", "10-14"), http.StatusAccepted, "")
	// The final chunk comes with the PUT.
	r = tr.do(http.MethodPut, loc+"?digest="+url.QueryEscape(sha(blob)), blob[15:], "Content-Range", "15-19")
	tr.want("PUT", r, http.StatusCreated, "")
	if r.header.Get("Location") != "/v2/t/node/blobs/"+sha(blob) || r.header.Get("Docker-Content-Digest") != sha(blob) {
		t.Fatalf("PUT headers: %v", r.header)
	}
	if r := tr.do(http.MethodGet, "/v2/t/node/blobs/"+sha(blob), nil); !bytes.Equal(r.body, blob) {
		t.Fatalf("blob = %q, want %q", r.body, blob)
	}
	tr.want("upload after commit", tr.do(http.MethodGet, loc, nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
}

func TestUploadDigestMismatch(t *testing.T) {
	t.Parallel()
	tr := newTestServer(t)
	r := tr.do(http.MethodPost, "/v2/a/blobs/uploads/", nil)
	loc := r.header.Get("Location")
	tr.want("PUT with the wrong digest", tr.do(http.MethodPut, loc+"?digest="+sha([]byte("other")), []byte("content")),
		http.StatusBadRequest, "DIGEST_INVALID")
	tr.want("blob of the wrong digest", tr.do(http.MethodHead, "/v2/a/blobs/"+sha([]byte("other")), nil), http.StatusNotFound, "")
	tr.want("blob of the content", tr.do(http.MethodHead, "/v2/a/blobs/"+sha([]byte("content")), nil), http.StatusNotFound, "")
}

func TestUploadCancel(t *testing.T) {
	t.Parallel()
	tr := newTestServer(t)
	r := tr.do(http.MethodPost, "/v2/a/blobs/uploads", nil)
	tr.want("POST without slash", r, http.StatusAccepted, "")
	loc := r.header.Get("Location")
	tr.want("PATCH", tr.do(http.MethodPatch, loc, []byte("data")), http.StatusAccepted, "")
	tr.want("DELETE", tr.do(http.MethodDelete, loc, nil), http.StatusNoContent, "")
	tr.want("status after DELETE", tr.do(http.MethodGet, loc, nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
	// Another repository's upload is not this one's.
	r = tr.do(http.MethodPost, "/v2/a/blobs/uploads/", nil)
	id := r.header.Get("Docker-Upload-UUID")
	tr.want("other repo's upload", tr.do(http.MethodGet, "/v2/b/blobs/uploads/"+id, nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
}

func TestMount(t *testing.T) {
	t.Parallel()
	tr := newTestServer(t)
	blob := []byte("shared layer")
	d := tr.pushBlob("t/node", blob)
	r := tr.do(http.MethodPost, "/v2/t/other/blobs/uploads/?mount="+d+"&from=t/node", nil)
	tr.want("mount", r, http.StatusCreated, "")
	if r.header.Get("Location") != "/v2/t/other/blobs/"+d || r.header.Get("Docker-Content-Digest") != d {
		t.Errorf("mount headers: %v", r.header)
	}
	if r := tr.do(http.MethodGet, "/v2/t/other/blobs/"+d, nil); !bytes.Equal(r.body, blob) {
		t.Errorf("mounted blob = %q", r.body)
	}
	// What cannot be mounted starts a plain upload.
	for _, q := range []string{
		"mount=" + sha([]byte("absent")) + "&from=t/node",
		"mount=" + d + "&from=Bad_Name",
		"mount=bad&from=t/node",
	} {
		r := tr.do(http.MethodPost, "/v2/t/third/blobs/uploads/?"+q, nil)
		tr.want("mount fallback "+q, r, http.StatusAccepted, "")
		if !strings.HasPrefix(r.header.Get("Location"), "/v2/t/third/blobs/uploads/") {
			t.Errorf("fallback Location %q", r.header.Get("Location"))
		}
	}
}

func TestManifests(t *testing.T) {
	t.Parallel()
	tr := newTestServer(t)
	m := tr.image("swtest/api", mtSchema2, "one")
	r := tr.do(http.MethodPut, "/v2/swtest/api/manifests/latest", m, "Content-Type", mtSchema2)
	tr.want("PUT manifest", r, http.StatusCreated, "")
	d := sha(m)
	if r.header.Get("Docker-Content-Digest") != d || r.header.Get("Location") != "/v2/swtest/api/manifests/"+d {
		t.Fatalf("PUT headers: %v", r.header)
	}
	for _, ref := range []string{"latest", d} {
		r := tr.do(http.MethodGet, "/v2/swtest/api/manifests/"+ref, nil, "Accept", acceptAll)
		tr.want("GET manifest "+ref, r, http.StatusOK, "")
		if !bytes.Equal(r.body, m) {
			t.Errorf("GET %s: body differs from what was pushed", ref)
		}
		h := r.header
		if h.Get("Content-Type") != mtSchema2 || h.Get("Docker-Content-Digest") != d || h.Get("ETag") != `"`+d+`"` ||
			h.Get("Content-Length") != fmt.Sprint(len(m)) {
			t.Errorf("GET %s headers: %v", ref, h)
		}
		r = tr.do(http.MethodHead, "/v2/swtest/api/manifests/"+ref, nil, "Accept", acceptAll)
		tr.want("HEAD manifest", r, http.StatusOK, "")
		if len(r.body) != 0 || r.header.Get("Content-Length") != fmt.Sprint(len(m)) || r.header.Get("Docker-Content-Digest") != d {
			t.Errorf("HEAD %s: %v", ref, r.header)
		}
	}
	tr.want("If-None-Match", tr.do(http.MethodGet, "/v2/swtest/api/manifests/latest", nil, "If-None-Match", `"`+d+`"`), http.StatusNotModified, "")

	// By digest: the URL's digest must be the body's.
	oci := tr.image("swtest/api", mtOCI, "two")
	tr.want("PUT by the wrong digest", tr.do(http.MethodPut, "/v2/swtest/api/manifests/"+d, oci, "Content-Type", mtOCI),
		http.StatusBadRequest, "DIGEST_INVALID")
	tr.want("PUT by digest", tr.do(http.MethodPut, "/v2/swtest/api/manifests/"+sha(oci), oci, "Content-Type", mtOCI), http.StatusCreated, "")
	// Content negotiation: an OCI manifest to a client that lists other
	// types only is not found; to one that lists none, it is served.
	tr.want("OCI to a schema2-only client", tr.do(http.MethodGet, "/v2/swtest/api/manifests/"+sha(oci), nil, "Accept", mtSchema2),
		http.StatusNotFound, "MANIFEST_UNKNOWN")
	r = tr.do(http.MethodGet, "/v2/swtest/api/manifests/"+sha(oci), nil)
	tr.want("OCI without Accept", r, http.StatusOK, "")
	if r.header.Get("Content-Type") != mtOCI {
		t.Errorf("OCI Content-Type %q", r.header.Get("Content-Type"))
	}

	// An index of both.
	index := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[{"mediaType":%q,"digest":%q,"size":%d,"platform":{"os":"linux","architecture":"amd64"}}]}`,
		mtOCIIndex, mtOCI, sha(oci), len(oci))
	tr.want("PUT index", tr.do(http.MethodPut, "/v2/swtest/api/manifests/multi", []byte(index), "Content-Type", mtOCIIndex), http.StatusCreated, "")
	r = tr.do(http.MethodGet, "/v2/swtest/api/manifests/multi", nil, "Accept", acceptAll)
	tr.want("GET index", r, http.StatusOK, "")
	if r.header.Get("Content-Type") != mtOCIIndex || string(r.body) != index {
		t.Errorf("GET index: %v %s", r.header, r.body)
	}

	// A manifest whose layer was never pushed.
	var bad map[string]any
	_ = json.Unmarshal(m, &bad)
	bad["layers"] = []desc{{"application/vnd.docker.image.rootfs.diff.tar.gzip", sha([]byte("never pushed")), 12}}
	bm, _ := json.Marshal(bad)
	tr.want("PUT with a missing blob", tr.do(http.MethodPut, "/v2/swtest/api/manifests/broken", bm, "Content-Type", mtSchema2),
		http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN")
	tr.want("the broken tag", tr.do(http.MethodGet, "/v2/swtest/api/manifests/broken", nil), http.StatusNotFound, "MANIFEST_UNKNOWN")

	// Delete a tag, then a manifest with its remaining tag.
	tr.want("PUT second tag", tr.do(http.MethodPut, "/v2/swtest/api/manifests/v1", m, "Content-Type", mtSchema2), http.StatusCreated, "")
	tr.want("DELETE tag", tr.do(http.MethodDelete, "/v2/swtest/api/manifests/latest", nil), http.StatusAccepted, "")
	tr.want("GET deleted tag", tr.do(http.MethodGet, "/v2/swtest/api/manifests/latest", nil), http.StatusNotFound, "MANIFEST_UNKNOWN")
	tr.want("GET other tag", tr.do(http.MethodGet, "/v2/swtest/api/manifests/v1", nil), http.StatusOK, "")
	tr.want("DELETE by digest", tr.do(http.MethodDelete, "/v2/swtest/api/manifests/"+d, nil), http.StatusAccepted, "")
	tr.want("GET by digest after DELETE", tr.do(http.MethodGet, "/v2/swtest/api/manifests/"+d, nil), http.StatusNotFound, "MANIFEST_UNKNOWN")
	tr.want("tag of a deleted manifest", tr.do(http.MethodGet, "/v2/swtest/api/manifests/v1", nil), http.StatusNotFound, "MANIFEST_UNKNOWN")
}

// pages follows Link headers from path and returns every page's list.
func (tr *testRegistry) pages(path, field string) (pages [][]string) {
	tr.t.Helper()
	for path != "" && len(pages) < 20 {
		r := tr.do(http.MethodGet, path, nil)
		tr.want("GET "+path, r, http.StatusOK, "")
		var body map[string]json.RawMessage
		if err := json.Unmarshal(r.body, &body); err != nil {
			tr.t.Fatal(err)
		}
		var list []string
		if err := json.Unmarshal(body[field], &list); err != nil || list == nil {
			tr.t.Fatalf("%s: %s is %s, want a list", path, field, body[field])
		}
		pages = append(pages, list)
		path = ""
		if link := r.header.Get("Link"); link != "" {
			target, rel, _ := strings.Cut(link, ";")
			if strings.TrimSpace(rel) != `rel="next"` || !strings.HasPrefix(target, "</v2/") {
				tr.t.Fatalf("Link %q", link)
			}
			path = strings.Trim(target, "<>")
		}
	}
	return pages
}

func TestPagination(t *testing.T) {
	t.Parallel()
	tr := newTestServer(t)
	m := tr.image("p/a", mtSchema2, "x")
	for _, tag := range []string{"e", "a", "c", "b", "d"} {
		tr.want("PUT "+tag, tr.do(http.MethodPut, "/v2/p/a/manifests/"+tag, m, "Content-Type", mtSchema2), http.StatusCreated, "")
	}
	for _, repo := range []string{"p/c", "p/b"} {
		tr.image(repo, mtSchema2, "x")
		tr.want("PUT", tr.do(http.MethodPut, "/v2/"+repo+"/manifests/t", m, "Content-Type", mtSchema2), http.StatusCreated, "")
	}
	// The split into pages is storage's to choose (a last page may be
	// empty); the order, the entries and the page size are not.
	tests := []struct {
		path, field string
		n           int
		want        string
	}{
		{"/v2/p/a/tags/list", "tags", 100, "[a b c d e]"},
		{"/v2/p/a/tags/list?n=2", "tags", 2, "[a b c d e]"},
		{"/v2/p/a/tags/list?n=5", "tags", 5, "[a b c d e]"},
		{"/v2/p/a/tags/list?n=2&last=b", "tags", 2, "[c d e]"},
		{"/v2/p/a/tags/list?last=d", "tags", 100, "[e]"},
		{"/v2/p/a/tags/list?n=0", "tags", 0, "[]"},
		{"/v2/_catalog", "repositories", 100, "[p/a p/b p/c]"},
		{"/v2/_catalog?n=1", "repositories", 1, "[p/a p/b p/c]"},
		{"/v2/_catalog?n=2&last=p/a", "repositories", 2, "[p/b p/c]"},
		{"/v2/_catalog?n=0", "repositories", 0, "[]"},
	}
	for _, tt := range tests {
		pages := tr.pages(tt.path, tt.field)
		all := []string{}
		for i, p := range pages {
			if len(p) > tt.n {
				t.Errorf("%s: page %d has %d entries, more than n=%d", tt.path, i, len(p), tt.n)
			}
			if i < len(pages)-1 && len(p) < tt.n {
				t.Errorf("%s: page %d has %d entries and a next page", tt.path, i, len(p))
			}
			all = append(all, p...)
		}
		if got := fmt.Sprint(all); got != tt.want {
			t.Errorf("%s: %s, want %s (pages %v)", tt.path, got, tt.want, pages)
		}
		if tt.n > 0 && len(all) > tt.n && len(pages) < 2 {
			t.Errorf("%s: one page of %v, want a Link to more", tt.path, pages)
		}
	}
	// Pushed to by digest only: the repository is there, with no tags.
	dm := tr.image("p/digestonly", mtSchema2, "y")
	tr.want("PUT by digest", tr.do(http.MethodPut, "/v2/p/digestonly/manifests/"+sha(dm), dm, "Content-Type", mtSchema2), http.StatusCreated, "")
	if got := fmt.Sprint(tr.pages("/v2/p/digestonly/tags/list", "tags")); got != "[[]]" {
		t.Errorf("tags of a digest-only repository: %s", got)
	}
}

// An upload streams to disk: a layer in flight never sits in memory.
func TestUploadStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 64 MB")
	}
	tr := newTestServer(t)
	const size = 64 << 20
	chunk := make([]byte, 1<<20)
	_, _ = rand.Read(chunk)
	h := sha256.New()
	for range size / len(chunk) {
		h.Write(chunk)
	}
	d := "sha256:" + hex.EncodeToString(h.Sum(nil))
	body := func() io.Reader {
		rs := make([]io.Reader, size/len(chunk))
		for i := range rs {
			rs[i] = bytes.NewReader(chunk)
		}
		return io.MultiReader(rs...)
	}

	r := tr.do(http.MethodPost, "/v2/big/blobs/uploads/", nil)
	loc := tr.base + r.header.Get("Location")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	// Streamed, without a length, as docker sends layers.
	req, _ := http.NewRequest(http.MethodPatch, loc, body())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted || res.Header.Get("Range") != fmt.Sprintf("0-%d", size-1) {
		t.Fatalf("PATCH: %d %v", res.StatusCode, res.Header)
	}
	runtime.ReadMemStats(&after)
	// The client's reader and the server share this process; both
	// together must allocate far less than the layer.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/4 {
		t.Errorf("uploading %d MB allocated %d MB", size>>20, alloc>>20)
	}
	r = tr.do(http.MethodPut, r.header.Get("Location")+"?digest="+d, nil)
	tr.want("PUT", r, http.StatusCreated, "")
	r = tr.do(http.MethodHead, "/v2/big/blobs/"+d, nil)
	if r.header.Get("Content-Length") != fmt.Sprint(size) {
		t.Errorf("blob size %s", r.header.Get("Content-Length"))
	}
}

// PATCHes sent at once to one upload go one after the other: unserialized,
// two writers at the same offset would overwrite each other's bytes.
func TestConcurrentPatches(t *testing.T) {
	t.Parallel()
	tr := newTestServer(t)
	r := tr.do(http.MethodPost, "/v2/a/blobs/uploads/", nil)
	loc := tr.base + r.header.Get("Location")
	const n, size = 8, 256 << 10
	errs := make(chan error, n)
	for i := range n {
		go func() {
			req, _ := http.NewRequest(http.MethodPatch, loc, bytes.NewReader(bytes.Repeat([]byte{byte('a' + i)}, size)))
			res, err := http.DefaultClient.Do(req)
			if err == nil {
				res.Body.Close()
				if res.StatusCode != http.StatusAccepted {
					err = fmt.Errorf("PATCH %d: %s", i, res.Status)
				}
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	r = tr.do(http.MethodGet, loc, nil)
	if want := fmt.Sprintf("0-%d", n*size-1); r.header.Get("Range") != want {
		t.Fatalf("after %d concurrent PATCHes Range = %q, want %q", n, r.header.Get("Range"), want)
	}
}

func TestKeyedMutexForgetsKeys(t *testing.T) {
	t.Parallel()
	var k keyedMutex
	unlock := k.lock("a")
	done := make(chan struct{})
	go func() { k.lock("a")(); close(done) }()
	k.lock("b")()
	select {
	case <-done:
		t.Fatal("a second lock of a held key did not wait")
	default:
	}
	unlock()
	<-done
	if len(k.keys) != 0 {
		t.Errorf("keys left: %v", k.keys)
	}
}
