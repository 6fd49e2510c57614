package registry

import "strings"

// kind is what a /v2/ path addresses.
type kind int

const (
	kindNone        kind = iota
	kindBase             // /v2/
	kindCatalog          // /v2/_catalog
	kindTags             // /v2/NAME/tags/list
	kindManifest         // /v2/NAME/manifests/REF
	kindBlob             // /v2/NAME/blobs/DIGEST
	kindUploadStart      // /v2/NAME/blobs/uploads/
	kindUpload           // /v2/NAME/blobs/uploads/ID
)

// route is a parsed /v2/ path. Name is the repository, not yet checked
// against the name grammar; Ref is the tag or digest, the blob's digest or
// the upload's id, not yet checked either.
type route struct {
	Kind kind
	Name string
	Ref  string
}

// parseRoute reads a request path. Repository names hold slashes, so the
// path is read from its end, where every route has fixed words: a name
// may end in "blobs" or "manifests" and still be read right, as in
// /v2/a/blobs/manifests/latest.
func parseRoute(p string) route {
	if p == "/v2" || p == "/v2/" {
		return route{Kind: kindBase}
	}
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return route{}
	}
	if rest == "_catalog" {
		return route{Kind: kindCatalog}
	}
	s := strings.Split(rest, "/")
	n := len(s)
	name := func(k int) string { return strings.Join(s[:n-k], "/") }
	r := route{}
	switch {
	case n >= 3 && s[n-2] == "tags" && s[n-1] == "list":
		r = route{Kind: kindTags, Name: name(2)}
	case n >= 3 && s[n-2] == "manifests" && s[n-1] != "":
		r = route{Kind: kindManifest, Name: name(2), Ref: s[n-1]}
	case n >= 4 && s[n-3] == "blobs" && s[n-2] == "uploads" && s[n-1] == "":
		r = route{Kind: kindUploadStart, Name: name(3)}
	case n >= 4 && s[n-3] == "blobs" && s[n-2] == "uploads":
		r = route{Kind: kindUpload, Name: name(3), Ref: s[n-1]}
	case n >= 3 && s[n-2] == "blobs" && s[n-1] == "uploads":
		r = route{Kind: kindUploadStart, Name: name(2)}
	case n >= 3 && s[n-2] == "blobs" && s[n-1] != "":
		r = route{Kind: kindBlob, Name: name(2), Ref: s[n-1]}
	}
	if r.Name == "" {
		return route{}
	}
	return r
}
