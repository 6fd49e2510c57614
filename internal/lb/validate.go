package lb

import (
	"bytes"
	"errors"
	"net/url"
	"path"
	"strings"
	"unsafe"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http/httpguts"
)

// fasthttp parses and frames messages; these checks add what it accepts
// but a front door must refuse, using net/http's own validators
// (x/net/http/httpguts), so that "valid" means the same as in net/http.

var errBadRequest = errors.New("bad request")

// validRequest checks a request head fasthttp accepted and returns the
// host and canonical path to route on, and, for an absolute-form target,
// the origin-form one to forward instead ("" keeps the target as sent). A
// request that fails gets a 400 and never reaches an upstream.
func validRequest(h *fasthttp.RequestHeader) (host, routePath, absURI string, err error) {
	if !h.IsHTTP11() && bstr(h.Protocol()) != "HTTP/1.0" {
		return "", "", "", errVersion
	}
	if !httpguts.ValidHostHeader(bstr(h.Host())) {
		return "", "", "", errBadRequest
	}
	raw := bstr(h.RequestURI())
	if h.IsOptions() && raw == "*" {
		return string(h.Host()), "*", "", nil
	}
	// A fragment is not part of a request target (RFC 9112 section 3.2);
	// ParseRequestURI would keep it in the path.
	u, err := url.ParseRequestURI(raw)
	if err != nil || strings.IndexByte(raw, '#') >= 0 || u.Opaque != "" {
		return "", "", "", errBadRequest
	}
	if u.Host != "" || u.Scheme != "" {
		// absolute-form: its authority replaces the Host header (RFC 9112
		// section 3.2.2), and the upstream gets origin-form.
		if u.Scheme != "http" && u.Scheme != "https" || !httpguts.ValidHostHeader(u.Host) || u.User != nil {
			return "", "", "", errBadRequest
		}
		host, absURI = u.Host, u.RequestURI()
	} else {
		host = string(h.Host())
	}
	if host == "" && h.IsHTTP11() {
		return "", "", "", errBadRequest
	}
	for k, v := range h.All() {
		if !httpguts.ValidHeaderFieldName(bstr(k)) || !httpguts.ValidHeaderFieldValue(bstr(v)) {
			return "", "", "", errBadRequest
		}
	}
	return host, canonicalPath(u.Path), absURI, nil
}

// bstr views b as a string without copying, for checks that keep nothing.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

var errVersion = errors.New("unsupported HTTP version")

// canonicalPath is the one form of a path that routing sees, whatever the
// method or HTTP version: percent-decoded (url.ParseRequestURI did that),
// dot segments and repeated slashes removed, a trailing slash kept.
func canonicalPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// validResponseHead refuses what fasthttp's response parser lets through
// but must not be relayed: header names or values net/http would reject.
func validResponseHead(h *fasthttp.ResponseHeader) error {
	for k, v := range h.All() {
		if !httpguts.ValidHeaderFieldName(bstr(k)) || !httpguts.ValidHeaderFieldValue(bstr(v)) {
			return errResponseHead
		}
	}
	return nil
}

// bareLFHead reports a head that ends with a bare-LF blank line. fasthttp
// waits for CRLFCRLF, which such a head never sends, so without this the
// request would hang until the read timeout; net/http would accept it,
// HAProxy would normalise it, and a 502 at once is the safe third way.
func bareLFHead(b []byte) bool {
	if end := bytes.Index(b, []byte("\r\n\r\n")); end >= 0 {
		b = b[:end]
	}
	return bytes.Contains(b, []byte("\n\n"))
}
