package web

import (
	"io/fs"
	"net/http"
)

// DefaultCSP lets a page load only what its own server serves: no CDN,
// nothing inline, no frames of it elsewhere. WebSockets to the same host
// and port are 'self' too.
const DefaultCSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Secure sets the headers every page of swarmlab's carries. csp "" is
// DefaultCSP.
func Secure(h http.Handler, csp string) http.Handler {
	if csp == "" {
		csp = DefaultCSP
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

// Assets serves embedded files. Browsers revalidate them (no-cache), so a
// new swarmlab never runs an old script against a new API; a file the build
// did not embed is a 404.
func Assets(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
