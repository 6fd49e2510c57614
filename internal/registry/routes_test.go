package registry

import (
	"strings"
	"testing"
)

func TestParseRoute(t *testing.T) {
	t.Parallel()
	const dg = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	const id = "6f1c0b8e-3a52-4f0e-9d3e-2b7c1a9e8d10"
	tests := []struct {
		path string
		want route
	}{
		{"/v2/", route{Kind: kindBase}},
		{"/v2", route{Kind: kindBase}},
		{"/v2/_catalog", route{Kind: kindCatalog}},
		{"/v2/swtest/api/tags/list", route{kindTags, "swtest/api", ""}},
		{"/v2/node/manifests/latest", route{kindManifest, "node", "latest"}},
		{"/v2/a/b/c/manifests/" + dg, route{kindManifest, "a/b/c", dg}},
		{"/v2/swtest/api/blobs/" + dg, route{kindBlob, "swtest/api", dg}},
		{"/v2/swtest/api/blobs/uploads/", route{kindUploadStart, "swtest/api", ""}},
		{"/v2/swtest/api/blobs/uploads", route{kindUploadStart, "swtest/api", ""}},
		{"/v2/swtest/api/blobs/uploads/" + id, route{kindUpload, "swtest/api", id}},
		// Names may hold the route's words; the path is read from its end.
		{"/v2/a/blobs/manifests/latest", route{kindManifest, "a/blobs", "latest"}},
		{"/v2/manifests/blobs/" + dg, route{kindBlob, "manifests", dg}},
		{"/v2/tags/list/tags/list", route{kindTags, "tags/list", ""}},
		{"/v2/blobs/uploads/blobs/uploads/", route{kindUploadStart, "blobs/uploads", ""}},
		// Not routes.
		{"/", route{}},
		{"/v1/a/tags/list", route{}},
		{"/v2/tags/list", route{}},
		{"/v2/manifests/latest", route{}},
		{"/v2/a/manifests/", route{}},
		{"/v2/a/blobs/", route{}},
		{"/v2/a/manifests/latest/extra", route{}},
		{"/v2/a", route{}},
		{"/v2/_catalog/x", route{}},
		{"/v2//manifests/latest", route{}},
	}
	for _, tt := range tests {
		if got := parseRoute(tt.path); got != tt.want {
			t.Errorf("parseRoute(%q) = %+v, want %+v", tt.path, got, tt.want)
		}
	}
}

// path is the inverse of parseRoute for the routes that name a repository.
func (r route) path() string {
	switch r.Kind {
	case kindTags:
		return "/v2/" + r.Name + "/tags/list"
	case kindManifest:
		return "/v2/" + r.Name + "/manifests/" + r.Ref
	case kindBlob:
		return "/v2/" + r.Name + "/blobs/" + r.Ref
	case kindUploadStart:
		return "/v2/" + r.Name + "/blobs/uploads/"
	case kindUpload:
		return "/v2/" + r.Name + "/blobs/uploads/" + r.Ref
	}
	return ""
}

// FuzzParseRoute checks that a parsed route names a repository and a
// reference that the path really holds: rebuilt, it gives the path back
// (up to the optional slash of an upload's start), and the reference never
// spans a slash, so a request never reaches another repository's data.
func FuzzParseRoute(f *testing.F) {
	for _, s := range []string{"/v2/", "/v2/_catalog", "/v2/a/b/tags/list", "/v2/a/manifests/latest",
		"/v2/a/blobs/sha256:00", "/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/x", "/v2/a/blobs/manifests/b",
		"/v2//blobs/uploads/", "/v2/a/../b/manifests/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		r := parseRoute(p)
		switch r.Kind {
		case kindNone:
			if r != (route{}) {
				t.Fatalf("%q: no route but %+v", p, r)
			}
			return
		case kindBase, kindCatalog:
			if r.Name != "" || r.Ref != "" {
				t.Fatalf("%q: %+v", p, r)
			}
			return
		}
		if r.Name == "" {
			t.Fatalf("%q: empty name in %+v", p, r)
		}
		if strings.Contains(r.Ref, "/") {
			t.Fatalf("%q: reference %q spans a slash", p, r.Ref)
		}
		got := r.path()
		if r.Kind == kindUploadStart && !strings.HasSuffix(p, "/") {
			got = strings.TrimSuffix(got, "/")
		}
		if got != p {
			t.Fatalf("%q parsed as %+v, which is %q", p, r, got)
		}
	})
}
