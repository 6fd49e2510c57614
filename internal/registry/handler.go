package registry

// The Registry HTTP API v2 (the OCI distribution spec, as docker push and
// pull speak it) over distribution's registry/storage: this file reads
// requests and writes answers; storage keeps blobs, manifests, tags and
// uploads, and checks digests and manifests' references.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/manifest/schema2"
	"github.com/distribution/distribution/v3/registry/api/errcode"
	"github.com/distribution/distribution/v3/registry/storage"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	// Each registers its manifest media types with distribution, so that
	// storage accepts and serves them.
	_ "github.com/distribution/distribution/v3/manifest/manifestlist"
	_ "github.com/distribution/distribution/v3/manifest/ocischema"
)

const (
	// maxManifestSize is the largest manifest a PUT may carry; the spec
	// asks registries to take at least 4 MB.
	maxManifestSize = 4 << 20
	// Pages of the catalog and of tag lists hold at most this many
	// entries, defaultPage when the client does not say.
	defaultPage = 100
	maxPage     = 1000
)

var (
	// nameRegexp is the spec's grammar for a repository name.
	nameRegexp = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)
	// tagRegexp is the spec's grammar for a tag.
	tagRegexp = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
	// uploadIDRegexp matches the ids registry/storage gives uploads (UUIDs).
	uploadIDRegexp = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// api serves /v2/.
type api struct {
	ns     distribution.Namespace
	driver storagedriver.StorageDriver
	log    *slog.Logger
	// uploads serializes requests on one upload: two PATCHes at once
	// would interleave their bytes.
	uploads keyedMutex
}

// keyedMutex is a mutex per key, kept only while someone holds or waits
// for it.
type keyedMutex struct {
	mu   sync.Mutex
	keys map[string]*keyedEntry
}

type keyedEntry struct {
	sync.Mutex
	users int
}

// lock locks key and returns its unlock.
func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.keys == nil {
		k.keys = map[string]*keyedEntry{}
	}
	e := k.keys[key]
	if e == nil {
		e = &keyedEntry{}
		k.keys[key] = e
	}
	e.users++
	k.mu.Unlock()
	e.Lock()
	return func() {
		e.Unlock()
		k.mu.Lock()
		if e.users--; e.users == 0 {
			delete(k.keys, key)
		}
		k.mu.Unlock()
	}
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Docker-Distribution-API-Version", "registry/2.0")
	h.Set("X-Content-Type-Options", "nosniff")
	rt := parseRoute(r.URL.Path)
	switch rt.Kind {
	case kindNone:
		a.fail(w, r, http.StatusNotFound, errcode.ErrorCodeUnsupported.WithMessage("no such endpoint of the registry API"))
		return
	case kindBase:
		if allow(w, r, http.MethodGet, http.MethodHead) {
			h.Set("Content-Type", "application/json")
			h.Set("Content-Length", "2")
			_, _ = io.WriteString(w, "{}")
		}
		return
	case kindCatalog:
		if allow(w, r, http.MethodGet, http.MethodHead) {
			a.catalog(w, r)
		}
		return
	}
	named, err := reference.WithName(rt.Name)
	if err == nil && !nameRegexp.MatchString(rt.Name) {
		// reference also takes a host:port or capitals in a first
		// component, which the spec's names and storage's paths do not.
		err = fmt.Errorf("%q is not a repository name: lowercase letters, digits and separators", rt.Name)
	}
	if err != nil {
		a.fail(w, r, 0, errcode.ErrorCodeNameInvalid.WithDetail(err.Error()))
		return
	}
	repo, err := a.ns.Repository(r.Context(), named)
	if err != nil {
		a.fail(w, r, 0, errcode.ErrorCodeNameInvalid.WithDetail(err.Error()))
		return
	}
	q := &req{api: a, w: w, r: r, name: named.Name(), repo: repo, ref: rt.Ref}
	switch rt.Kind {
	case kindTags:
		if allow(w, r, http.MethodGet, http.MethodHead) {
			q.tags()
		}
	case kindManifest:
		if allow(w, r, http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete) {
			q.manifest()
		}
	case kindBlob:
		if allow(w, r, http.MethodGet, http.MethodHead, http.MethodDelete) {
			q.blob()
		}
	case kindUploadStart:
		if allow(w, r, http.MethodPost) {
			q.startUpload()
		}
	case kindUpload:
		if allow(w, r, http.MethodGet, http.MethodHead, http.MethodPatch, http.MethodPut, http.MethodDelete) {
			q.upload()
		}
	}
}

// allow answers 405 UNSUPPORTED, with an Allow header, to other methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeErrors(w, http.StatusMethodNotAllowed, errcode.Errors{errcode.ErrorCodeUnsupported.WithMessage(r.Method + " is not supported here")})
	return false
}

// fail answers with one error, in the spec's JSON envelope. status 0 takes
// the code's own status. Server errors are logged: the client sees them,
// the person running the lab should too.
func (a *api) fail(w http.ResponseWriter, r *http.Request, status int, err errcode.Error) {
	if status == 0 {
		status = err.ErrorCode().Descriptor().HTTPStatusCode
	}
	if status >= 500 {
		a.log.Error("registry request failed", "method", r.Method, "path", r.URL.Path, "err", err.Error(), "detail", err.Detail)
	}
	writeErrors(w, status, errcode.Errors{err})
}

func writeErrors(w http.ResponseWriter, status int, errs errcode.Errors) {
	body, err := json.Marshal(errs)
	if err != nil {
		body = []byte(`{"errors":[{"code":"UNKNOWN","message":"unknown error"}]}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	// Headers meant for a success would mislead.
	h.Del("Docker-Content-Digest")
	h.Del("ETag")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// internal wraps an unexpected error from storage as UNKNOWN (500).
func internal(err error) errcode.Error { return errcode.ErrorCodeUnknown.WithDetail(err.Error()) }

// req is one request on a repository.
type req struct {
	*api
	w    http.ResponseWriter
	r    *http.Request
	name string
	repo distribution.Repository
	ref  string
}

func (q *req) fail(status int, err errcode.Error) { q.api.fail(q.w, q.r, status, err) }

// pageSize reads n; ok is false once an error was answered. n absent is -1.
func pageSize(v url.Values) (int, bool) {
	s := v.Get("n")
	if s == "" {
		return -1, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	// Fewer than asked is allowed when a Link header says there is more.
	return min(n, maxPage), true
}

// setNext adds the Link header to the page after last.
func setNext(w http.ResponseWriter, r *http.Request, n int, last string) {
	v := url.Values{"n": {strconv.Itoa(n)}, "last": {last}}
	u := url.URL{Path: r.URL.Path, RawQuery: v.Encode()}
	w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, u.String()))
}

func writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeErrors(w, http.StatusInternalServerError, errcode.Errors{internal(err)})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func (a *api) catalog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, ok := pageSize(q)
	if !ok {
		a.fail(w, r, 0, errcode.ErrorCodePaginationNumberInvalid.WithDetail(map[string]string{"n": q.Get("n")}))
		return
	}
	if n < 0 {
		n = defaultPage
	}
	// last becomes a storage path: only a repository name may go there.
	if last := q.Get("last"); last != "" {
		if _, err := reference.WithName(last); err != nil {
			a.fail(w, r, 0, errcode.ErrorCodeNameInvalid.WithDetail(map[string]string{"last": last}))
			return
		}
	}
	repos := make([]string, n)
	filled, more := 0, false
	if n > 0 {
		var err error
		filled, err = a.ns.Repositories(r.Context(), repos, q.Get("last"))
		var notFound storagedriver.PathNotFoundError
		switch {
		case err == nil:
			more = filled == n
		case errors.Is(err, io.EOF), errors.As(err, &notFound):
		default:
			a.fail(w, r, 0, internal(err))
			return
		}
	}
	if more {
		setNext(w, r, n, repos[filled-1])
	}
	writeJSON(w, r, struct {
		Repositories []string `json:"repositories"`
	}{repos[:filled]})
}

func (q *req) tags() {
	v := q.r.URL.Query()
	n, ok := pageSize(v)
	if !ok {
		q.fail(0, errcode.ErrorCodePaginationNumberInvalid.WithDetail(map[string]string{"n": v.Get("n")}))
		return
	}
	if last := v.Get("last"); last != "" && !tagRegexp.MatchString(last) {
		q.fail(0, errcode.ErrorCodeTagInvalid.WithDetail(map[string]string{"last": last}))
		return
	}
	list := []string{}
	more := false
	if n != 0 {
		tags, err := q.repo.Tags(q.r.Context()).List(q.r.Context(), n, v.Get("last"))
		var unknown distribution.ErrRepositoryUnknown
		switch {
		case err == nil:
			more = n > 0 && len(tags) == n
		case errors.Is(err, io.EOF):
		case errors.As(err, &unknown):
			// A repository pushed to by digest only has no tags, and is
			// no less there.
			if !q.repoExists() {
				q.fail(0, errcode.ErrorCodeNameUnknown.WithDetail(map[string]string{"name": q.name}))
				return
			}
		default:
			q.fail(0, internal(err))
			return
		}
		list = append(list, tags...)
	}
	if more {
		setNext(q.w, q.r, n, list[len(list)-1])
	}
	writeJSON(q.w, q.r, struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{q.name, list})
}

// repoExists tells whether anything was ever pushed to the repository.
// registry/storage has no call for it; the path is its layout's.
func (q *req) repoExists() bool {
	_, err := q.driver.Stat(q.r.Context(), "/docker/registry/v2/repositories/"+q.name)
	return err == nil
}

// parseDigest checks a digest from the client; ok is false once the error
// was answered.
func (q *req) parseDigest(s string) (digest.Digest, bool) {
	d, err := digest.Parse(s)
	if err != nil {
		q.fail(0, errcode.ErrorCodeDigestInvalid.WithDetail(fmt.Sprintf("%q: %v", s, err)))
		return "", false
	}
	return d, true
}

func (q *req) manifest() {
	var tag string
	var dgst digest.Digest
	if strings.Contains(q.ref, ":") {
		var ok bool
		if dgst, ok = q.parseDigest(q.ref); !ok {
			return
		}
	} else if tagRegexp.MatchString(q.ref) {
		tag = q.ref
	} else {
		q.fail(0, errcode.ErrorCodeTagInvalid.WithDetail(fmt.Sprintf("%q is neither a tag nor a digest", q.ref)))
		return
	}
	switch q.r.Method {
	case http.MethodPut:
		q.putManifest(tag, dgst)
	case http.MethodDelete:
		q.deleteManifest(tag, dgst)
	default:
		q.getManifest(tag, dgst)
	}
}

func (q *req) getManifest(tag string, dgst digest.Digest) {
	ctx := q.r.Context()
	if tag != "" {
		desc, err := q.repo.Tags(ctx).Get(ctx, tag)
		if err != nil {
			var unknown distribution.ErrTagUnknown
			if errors.As(err, &unknown) {
				q.fail(0, errcode.ErrorCodeManifestUnknown.WithDetail(map[string]string{"tag": tag}))
			} else {
				q.fail(0, internal(err))
			}
			return
		}
		dgst = desc.Digest
	}
	ms, err := q.repo.Manifests(ctx)
	if err != nil {
		q.fail(0, internal(err))
		return
	}
	m, err := ms.Get(ctx, dgst)
	if err != nil {
		var unknown distribution.ErrManifestUnknownRevision
		if errors.As(err, &unknown) || errors.Is(err, distribution.ErrBlobUnknown) {
			q.fail(0, errcode.ErrorCodeManifestUnknown.WithDetail(map[string]string{"digest": dgst.String()}))
		} else {
			q.fail(0, internal(err))
		}
		return
	}
	mediaType, payload, err := m.Payload()
	if err != nil {
		q.fail(0, internal(err))
		return
	}
	if !accepts(q.r.Header.Values("Accept"), mediaType) {
		q.fail(0, errcode.ErrorCodeManifestUnknown.WithMessage(
			fmt.Sprintf("the manifest is %s, which the request's Accept header does not list", mediaType)))
		return
	}
	h := q.w.Header()
	etag := `"` + dgst.String() + `"`
	h.Set("Docker-Content-Digest", dgst.String())
	h.Set("ETag", etag)
	if inm := q.r.Header.Get("If-None-Match"); inm != "" && (inm == etag || inm == dgst.String()) {
		q.w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", mediaType)
	h.Set("Content-Length", strconv.Itoa(len(payload)))
	if q.r.Method == http.MethodHead {
		return
	}
	_, _ = q.w.Write(payload)
}

// accepts tells whether a client that sent these Accept headers takes a
// manifest of mediaType. A client that names no type takes any, and every
// client takes Docker's schema 2, which registries served before content
// negotiation existed.
func accepts(accept []string, mediaType string) bool {
	if mediaType == schema2.MediaTypeManifest {
		return true
	}
	named := false
	for _, h := range accept {
		for _, part := range strings.Split(h, ",") {
			mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			named = true
			if mt == mediaType || mt == "*/*" || mt == "application/*" {
				return true
			}
		}
	}
	return !named
}

func (q *req) putManifest(tag string, dgst digest.Digest) {
	ctx := q.r.Context()
	body, err := io.ReadAll(io.LimitReader(q.r.Body, maxManifestSize+1))
	if err != nil {
		q.fail(http.StatusBadRequest, errcode.ErrorCodeManifestInvalid.WithDetail("reading the body: "+err.Error()))
		return
	}
	if len(body) > maxManifestSize {
		q.fail(http.StatusRequestEntityTooLarge, errcode.ErrorCodeManifestInvalid.WithMessage(
			fmt.Sprintf("the manifest is larger than %d bytes", maxManifestSize)))
		return
	}
	m, desc, err := distribution.UnmarshalManifest(q.r.Header.Get("Content-Type"), body)
	if err != nil {
		q.fail(0, errcode.ErrorCodeManifestInvalid.WithDetail(err.Error()))
		return
	}
	if dgst != "" && desc.Digest != dgst {
		q.fail(0, errcode.ErrorCodeDigestInvalid.WithMessage(
			fmt.Sprintf("the manifest's digest is %s, not %s as the URL says", desc.Digest, dgst)))
		return
	}
	ms, err := q.repo.Manifests(ctx)
	if err != nil {
		q.fail(0, internal(err))
		return
	}
	if _, err := ms.Put(ctx, m); err != nil {
		q.failPut(err)
		return
	}
	if tag != "" {
		if err := q.repo.Tags(ctx).Tag(ctx, tag, desc); err != nil {
			q.fail(0, internal(err))
			return
		}
	}
	q.log.Info("manifest pushed", "repo", q.name, "tag", tag, "digest", desc.Digest.String())
	h := q.w.Header()
	h.Set("Location", "/v2/"+q.name+"/manifests/"+desc.Digest.String())
	h.Set("Docker-Content-Digest", desc.Digest.String())
	h.Set("Content-Length", "0")
	q.w.WriteHeader(http.StatusCreated)
}

// failPut answers a manifest storage refused, with one error per problem
// (each missing blob, say), as clients show them.
func (q *req) failPut(err error) {
	var verr distribution.ErrManifestVerification
	if !errors.As(err, &verr) {
		q.fail(0, errcode.ErrorCodeManifestInvalid.WithDetail(err.Error()))
		return
	}
	var errs errcode.Errors
	for _, e := range verr {
		var blob distribution.ErrManifestBlobUnknown
		var name distribution.ErrManifestNameInvalid
		switch {
		case errors.As(e, &blob):
			errs = append(errs, errcode.ErrorCodeManifestBlobUnknown.WithDetail(map[string]string{"digest": blob.Digest.String()}))
		case errors.As(e, &name):
			errs = append(errs, errcode.ErrorCodeNameInvalid.WithDetail(e.Error()))
		case errors.Is(e, digest.ErrDigestInvalidFormat):
			errs = append(errs, errcode.ErrorCodeDigestInvalid.WithDetail(e.Error()))
		default:
			errs = append(errs, errcode.ErrorCodeManifestInvalid.WithDetail(e.Error()))
		}
	}
	if len(errs) == 0 {
		errs = errcode.Errors{errcode.ErrorCodeManifestInvalid.WithDetail(err.Error())}
	}
	writeErrors(q.w, errs[0].(errcode.Error).ErrorCode().Descriptor().HTTPStatusCode, errs)
}

func (q *req) deleteManifest(tag string, dgst digest.Digest) {
	ctx := q.r.Context()
	tags := q.repo.Tags(ctx)
	if tag != "" {
		if err := tags.Untag(ctx, tag); err != nil {
			var unknown distribution.ErrTagUnknown
			var notFound storagedriver.PathNotFoundError
			if errors.As(err, &unknown) || errors.As(err, &notFound) {
				q.fail(0, errcode.ErrorCodeManifestUnknown.WithDetail(map[string]string{"tag": tag}))
			} else {
				q.fail(0, internal(err))
			}
			return
		}
		q.w.WriteHeader(http.StatusAccepted)
		return
	}
	ms, err := q.repo.Manifests(ctx)
	if err != nil {
		q.fail(0, internal(err))
		return
	}
	if err := ms.Delete(ctx, dgst); err != nil {
		var unknown distribution.ErrManifestUnknownRevision
		if errors.As(err, &unknown) || errors.Is(err, distribution.ErrBlobUnknown) {
			q.fail(0, errcode.ErrorCodeManifestUnknown.WithDetail(map[string]string{"digest": dgst.String()}))
		} else {
			q.fail(0, internal(err))
		}
		return
	}
	// Tags of a deleted manifest would point at nothing.
	if referring, err := tags.Lookup(ctx, v1.Descriptor{Digest: dgst}); err == nil {
		for _, t := range referring {
			if err := tags.Untag(ctx, t); err != nil {
				q.log.Warn("untagging a deleted manifest", "repo", q.name, "tag", t, "err", err)
			}
		}
	}
	q.w.WriteHeader(http.StatusAccepted)
}

func (q *req) blob() {
	dgst, ok := q.parseDigest(q.ref)
	if !ok {
		return
	}
	ctx := q.r.Context()
	blobs := q.repo.Blobs(ctx)
	var err error
	if q.r.Method == http.MethodDelete {
		if err = blobs.Delete(ctx, dgst); err == nil {
			q.w.Header().Set("Content-Length", "0")
			q.w.WriteHeader(http.StatusAccepted)
			return
		}
	} else {
		// ServeBlob answers HEAD and Range requests itself, and fails
		// before it writes anything.
		err = blobs.ServeBlob(ctx, q.w, q.r, dgst)
	}
	switch {
	case err == nil:
	case errors.Is(err, distribution.ErrBlobUnknown):
		q.fail(0, errcode.ErrorCodeBlobUnknown.WithDetail(map[string]string{"digest": dgst.String()}))
	default:
		q.fail(0, internal(err))
	}
}

// uploadLocation is where the client sends the next part of an upload.
func (q *req) uploadLocation(id string) string {
	return "/v2/" + q.name + "/blobs/uploads/" + id
}

// uploadStatus sets the headers that tell the client where an upload
// stands. Range is inclusive, and "0-0" before the first byte, as
// distribution and the clients built on it have it.
func (q *req) uploadStatus(id string, size int64) {
	h := q.w.Header()
	h.Set("Location", q.uploadLocation(id))
	h.Set("Docker-Upload-UUID", id)
	h.Set("Range", fmt.Sprintf("0-%d", max(size-1, 0)))
	h.Set("Content-Length", "0")
}

func (q *req) blobCreated(desc v1.Descriptor) {
	h := q.w.Header()
	h.Set("Location", "/v2/"+q.name+"/blobs/"+desc.Digest.String())
	h.Set("Docker-Content-Digest", desc.Digest.String())
	h.Set("Content-Length", "0")
	q.w.WriteHeader(http.StatusCreated)
}

func (q *req) startUpload() {
	ctx := q.r.Context()
	v := q.r.URL.Query()
	blobs := q.repo.Blobs(ctx)
	var opts []distribution.BlobCreateOption
	if mount, from := v.Get("mount"), v.Get("from"); mount != "" && from != "" {
		// A mount that cannot be made is an ordinary upload, as the
		// spec has it: the client then sends the blob.
		if opt, ok := mountOption(mount, from); ok {
			opts = append(opts, opt)
		}
	}
	var dgst digest.Digest
	if s := v.Get("digest"); s != "" && len(opts) == 0 {
		var ok bool
		if dgst, ok = q.parseDigest(s); !ok {
			return
		}
	}
	bw, err := blobs.Create(ctx, opts...)
	if err != nil {
		var mounted distribution.ErrBlobMounted
		if errors.As(err, &mounted) {
			q.blobCreated(mounted.Descriptor)
			return
		}
		q.fail(0, internal(err))
		return
	}
	if dgst != "" {
		if q.appendChunk(bw) {
			q.commit(bw, dgst)
		}
		return
	}
	err = bw.Close()
	if err != nil {
		q.fail(0, internal(err))
		return
	}
	q.uploadStatus(bw.ID(), bw.Size())
	q.w.WriteHeader(http.StatusAccepted)
}

func mountOption(mount, from string) (distribution.BlobCreateOption, bool) {
	dgst, err := digest.Parse(mount)
	if err != nil {
		return nil, false
	}
	named, err := reference.WithName(from)
	if err != nil {
		return nil, false
	}
	canonical, err := reference.WithDigest(named, dgst)
	if err != nil {
		return nil, false
	}
	return storage.WithMountFrom(canonical), true
}

func (q *req) upload() {
	id := q.ref
	if !uploadIDRegexp.MatchString(id) {
		q.fail(0, errcode.ErrorCodeBlobUploadUnknown.WithDetail(map[string]string{"upload": id}))
		return
	}
	defer q.uploads.lock(q.name + "/" + id)()

	ctx := q.r.Context()
	bw, err := q.repo.Blobs(ctx).Resume(ctx, id)
	if err != nil {
		if errors.Is(err, distribution.ErrBlobUploadUnknown) {
			q.fail(0, errcode.ErrorCodeBlobUploadUnknown.WithDetail(map[string]string{"upload": id}))
		} else {
			q.fail(0, internal(err))
		}
		return
	}
	switch q.r.Method {
	case http.MethodDelete:
		if err := bw.Cancel(ctx); err != nil {
			q.fail(0, internal(err))
			return
		}
		q.w.Header().Set("Content-Length", "0")
		q.w.WriteHeader(http.StatusNoContent)
	case http.MethodPatch:
		if !q.appendChunk(bw) {
			return
		}
		if err := bw.Close(); err != nil {
			q.fail(0, internal(err))
			return
		}
		q.uploadStatus(id, bw.Size())
		q.w.WriteHeader(http.StatusAccepted)
	case http.MethodPut:
		s := q.r.URL.Query().Get("digest")
		if s == "" {
			_ = bw.Close()
			q.fail(0, errcode.ErrorCodeDigestInvalid.WithMessage("the request has no digest parameter: add ?digest=sha256:..."))
			return
		}
		dgst, ok := q.parseDigest(s)
		if !ok {
			_ = bw.Close()
			return
		}
		if !q.appendChunk(bw) {
			return
		}
		q.commit(bw, dgst)
	default: // GET, HEAD
		size := bw.Size()
		if err := bw.Close(); err != nil {
			q.fail(0, internal(err))
			return
		}
		q.uploadStatus(id, size)
		q.w.WriteHeader(http.StatusNoContent)
	}
}

// appendChunk streams the request body onto the upload, after checking
// that a Content-Range, if the client sent one, starts where the upload
// stands. On false the error was answered and bw closed.
func (q *req) appendChunk(bw distribution.BlobWriter) bool {
	fail := func(status int, err errcode.Error) bool {
		size := bw.Size()
		_ = bw.Close()
		// Where the upload stands, so the client can go on from there.
		q.uploadStatus(bw.ID(), size)
		q.fail(status, err)
		return false
	}
	if cr := q.r.Header.Get("Content-Range"); cr != "" {
		start, end, ok := parseContentRange(cr)
		if !ok {
			return fail(http.StatusBadRequest, errcode.ErrorCodeBlobUploadInvalid.WithDetail(fmt.Sprintf("Content-Range %q: want START-END", cr)))
		}
		if start != bw.Size() || end < start {
			return fail(0, errcode.ErrorCodeRangeInvalid.WithDetail(fmt.Sprintf("Content-Range %s, but the upload has %d bytes", cr, bw.Size())))
		}
		if cl := q.r.ContentLength; cl >= 0 && cl != end-start+1 {
			return fail(0, errcode.ErrorCodeSizeInvalid.WithDetail(fmt.Sprintf("Content-Range %s is %d bytes, Content-Length %d", cr, end-start+1, cl)))
		}
	}
	if _, err := io.Copy(bw, q.r.Body); err != nil {
		// Whatever arrived is kept; the client can ask where the upload
		// stands and go on.
		return fail(http.StatusBadRequest, errcode.ErrorCodeBlobUploadInvalid.WithDetail("reading the body: "+err.Error()))
	}
	return true
}

// parseContentRange reads "START-END", with or without a "bytes " unit.
func parseContentRange(s string) (start, end int64, ok bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "bytes ")
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 {
		return 0, 0, false
	}
	return start, end, true
}

// commit ends an upload as the blob dgst. A mismatch cancels the upload,
// since its bytes can never make that blob.
func (q *req) commit(bw distribution.BlobWriter, dgst digest.Digest) {
	ctx := q.r.Context()
	desc, err := bw.Commit(ctx, v1.Descriptor{Digest: dgst})
	if err == nil {
		q.blobCreated(desc)
		return
	}
	var invalid distribution.ErrBlobInvalidDigest
	switch {
	case errors.As(err, &invalid):
		q.fail(0, errcode.ErrorCodeDigestInvalid.WithDetail(err.Error()))
	case errors.Is(err, distribution.ErrBlobInvalidLength), errors.Is(err, distribution.ErrBlobDigestUnsupported):
		q.fail(0, errcode.ErrorCodeBlobUploadInvalid.WithDetail(err.Error()))
	default:
		q.fail(0, internal(err))
	}
	if cerr := bw.Cancel(ctx); cerr != nil {
		q.log.Warn("cancelling a failed upload", "repo", q.name, "upload", bw.ID(), "err", cerr)
	}
}
