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
func validRequest(h *fasthttp.RequestHeader, maxFields int) (host, routePath, absURI string, err error) {
	if !h.IsHTTP11() && bstr(h.Protocol()) != "HTTP/1.0" {
		return "", "", "", errVersion
	}
	// fasthttp reads "Transfer-Encoding: identity" as no body and keeps no
	// trace of it but the raw head; what follows would be a second request.
	fields, te := scanRawHead(h.RawHeaders())
	if fields > maxFields {
		return "", "", "", errTooManyFields
	}
	if te && h.ContentLength() != -1 {
		return "", "", "", errBadRequest
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

var (
	errVersion       = errors.New("unsupported HTTP version")
	errTooManyFields = errors.New("too many header fields")
)

// scanRawHead counts the fields of a raw request head (without its request
// line) and reports whether one of them is Transfer-Encoding.
func scanRawHead(raw []byte) (fields int, te bool) {
	const name = "transfer-encoding:"
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			continue
		}
		fields++
		if len(line) >= len(name) && line[0]|0x20 == 't' && strings.EqualFold(bstr(line[:len(name)]), name) {
			te = true
		}
	}
	return fields, te
}

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
