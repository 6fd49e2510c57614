package lb

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http/httpguts"
)

func TestCanonicalPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":              "/",
		"/":             "/",
		"/admin/x":      "/admin/x",
		"//admin/x":     "/admin/x",
		"/x/../admin/x": "/admin/x",
		"/./admin/":     "/admin/",
		"/admin//":      "/admin/",
		"/../../etc":    "/etc",
	} {
		if got := canonicalPath(in); got != want {
			t.Errorf("canonicalPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzCanonicalPath: whatever the path, routing sees one clean absolute
// form, and cleaning it again changes nothing.
func FuzzCanonicalPath(f *testing.F) {
	for _, s := range []string{"", "/", "//a", "/a/../b", "/a/./b/", "a/b", "/..", "/%2e%2e/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		c := canonicalPath(p)
		if !strings.HasPrefix(c, "/") || strings.Contains(c, "//") || strings.Contains(c, "/./") || strings.Contains(c, "/../") {
			t.Fatalf("canonicalPath(%q) = %q", p, c)
		}
		if canonicalPath(c) != c {
			t.Fatalf("not idempotent: %q -> %q -> %q", p, c, canonicalPath(c))
		}
	})
}

func TestValidRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		head            string
		host, path, abs string
		bad, version    bool
	}{
		{head: "GET /a/b?q=1 HTTP/1.1\r\nHost: app\r\n\r\n", host: "app", path: "/a/b"},
		{head: "GET /%61dmin/x HTTP/1.0\r\nHost: app\r\n\r\n", host: "app", path: "/admin/x"},
		{head: "GET http://other:8080/x?y HTTP/1.1\r\nHost: app\r\n\r\n", host: "other:8080", path: "/x", abs: "/x?y"},
		{head: "OPTIONS * HTTP/1.1\r\nHost: app\r\n\r\n", host: "app", path: "*"},
		{head: "GET / HTTP/1.1\r\nHost: a@evil\r\n\r\n", bad: true},
		{head: "GET /%zz HTTP/1.1\r\nHost: app\r\n\r\n", bad: true},
		{head: "GET /x#frag HTTP/1.1\r\nHost: app\r\n\r\n", bad: true},
		{head: "GET ftp://other/x HTTP/1.1\r\nHost: app\r\n\r\n", bad: true},
		{head: "GET http://u@other/x HTTP/1.1\r\nHost: app\r\n\r\n", bad: true},
		{head: "GET / HTTP/2.0\r\nHost: app\r\n\r\n", bad: true, version: true},
	} {
		var h fasthttp.RequestHeader
		if err := h.Read(bufioReader(tc.head)); err != nil {
			if tc.bad {
				continue // fasthttp refused it already: never reaches a route
			}
			t.Fatalf("%q: fasthttp: %v", tc.head, err)
		}
		host, path, abs, err := validRequest(&h, 101)
		switch {
		case tc.bad && err == nil:
			t.Errorf("%q: accepted (host %q path %q)", tc.head, host, path)
		case tc.bad && tc.version != (err == errVersion):
			t.Errorf("%q: error %v", tc.head, err)
		case !tc.bad && (err != nil || host != tc.host || path != tc.path || abs != tc.abs):
			t.Errorf("%q: got %q %q %q %v, want %q %q %q", tc.head, host, path, abs, err, tc.host, tc.path, tc.abs)
		}
	}
}

func TestBareLFHead(t *testing.T) {
	t.Parallel()
	for head, want := range map[string]bool{
		"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody\n\nmore": false,
		"HTTP/1.1 200 OK\nA: b\n\nhello":              true,
		"HTTP/1.1 200 OK\r\nA: b\r\n\nhello":          true,
		"HTTP/1.1 200 OK\r\nA: b\r\n":                 false, // not complete yet
	} {
		if got := bareLFHead([]byte(head)); got != want {
			t.Errorf("bareLFHead(%q) = %v", head, got)
		}
	}
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

// FuzzValidRequest: any head fasthttp accepts either gets refused here or
// yields a host net/http would accept and a canonical path.
func FuzzValidRequest(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET http://b/x HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /%61/../x HTTP/1.0\r\n\r\n", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, head string) {
		var h fasthttp.RequestHeader
		if h.Read(bufioReader(head)) != nil {
			return
		}
		host, path, _, err := validRequest(&h, 101)
		if err != nil {
			return
		}
		if !httpguts.ValidHostHeader(host) || path != "*" && canonicalPath(path) != path {
			t.Fatalf("%q: accepted host %q path %q", head, host, path)
		}
	})
}

// FuzzScanRawHead checks scanRawHead against a plain line split: the field
// count and the Transfer-Encoding finding must agree on any input.
func FuzzScanRawHead(f *testing.F) {
	f.Add([]byte("Host: a\r\nTransfer-Encoding: identity\r\n\r\n"))
	f.Add([]byte("Host: a\nX: 1\n\n"))
	f.Add([]byte("transfer-encoding:chunked"))
	f.Add([]byte("\r\n\r\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		fields, te := scanRawHead(raw)
		wantFields, wantTE := 0, false
		for _, line := range strings.Split(string(raw), "\n") {
			line = strings.TrimSuffix(line, "\r")
			if line == "" {
				continue
			}
			wantFields++
			if len(line) >= 18 && strings.EqualFold(line[:18], "transfer-encoding:") {
				wantTE = true
			}
		}
		if fields != wantFields || te != wantTE {
			t.Fatalf("scanRawHead(%q) = %d, %v; want %d, %v", raw, fields, te, wantFields, wantTE)
		}
	})
}

// A request fasthttp refuses to write (here: no Host, which a Connection
// line listing Host used to cause) is the client's, not the connection's.
func TestUnwritableRequestIsTheClients(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go io.Copy(io.Discard, b)
	tr := NewTransport(TransportConfig{})
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI("/x")
	req.Header.SetHost("")
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	err := tr.roundTrip(&upConn{Conn: a}, req, resp, bufio.NewReader(a))
	if !errors.Is(err, errRequestUnwritable) {
		t.Fatalf("roundTrip without Host: %v, want errRequestUnwritable", err)
	}
}
