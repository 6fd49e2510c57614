package web

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Guard lets through only requests that carry the server's secret, name a
// Host the server expects and, when a browser says where they come from,
// come from the server's own origin. The zero value (no Secret) refuses every
// request but the Public paths.
type Guard struct {
	// Secret opens the pages. It arrives once as ?token=SECRET in the URL
	// that is opened or printed, is then kept in an HttpOnly cookie, and may
	// also be sent as "Authorization: Bearer SECRET" by programs.
	Secret string
	// Cookie names the cookie. Default "swarmlab". Give each server its own:
	// cookies ignore ports, so two servers on 127.0.0.1 share a cookie jar.
	Cookie string
	// Hosts are names the Host header may carry besides IP literals and
	// "localhost" (compared without the port, case-insensitively). Any other
	// name is a page that rebound its DNS name to this server.
	Hosts []string
	// Public are paths served without the secret: an exact path, or a prefix
	// ending in "/". The Host and Origin checks still apply to them.
	Public []string
	// Refusal is the text a request without the secret gets, telling the
	// person what to open instead. Default: a generic sentence.
	Refusal string
}

const tokenParam = "token"

// Wrap returns h behind the guard's checks.
func (g *Guard) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.hostAllowed(r.Host) {
			http.Error(w, "421 unknown host: open this server by its address (127.0.0.1, localhost or an IP address)", http.StatusMisdirectedRequest)
			return
		}
		if !SameOrigin(r) {
			http.Error(w, "403 request from another site refused", http.StatusForbidden)
			return
		}
		if g.public(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		if tok := r.URL.Query().Get(tokenParam); tok != "" {
			g.exchange(w, r, tok)
			return
		}
		if !g.Allowed(r) {
			refusal := g.Refusal
			if refusal == "" {
				refusal = "this page needs the link its server printed, with its token"
			}
			http.Error(w, "401 "+refusal, http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Allowed reports whether r carries the secret, in the cookie or as a
// bearer token. Wrap checks it; a handler that serves both the secret's
// holder and others (the class server's learners) may ask it too.
func (g *Guard) Allowed(r *http.Request) bool {
	if c, err := r.Cookie(g.cookieName()); err == nil && Equal(c.Value, g.Secret) {
		return true
	}
	return Equal(Bearer(r), g.Secret)
}

// exchange turns a token in the URL into the cookie and sends the browser
// to the same URL without it, so the secret stays out of the history, the
// address bar and any Referer.
func (g *Guard) exchange(w http.ResponseWriter, r *http.Request, tok string) {
	if !Equal(tok, g.Secret) {
		http.Error(w, "403 this link's token is not this server's: it is from another launch or mistyped; open the link the server printed last", http.StatusForbidden)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     g.cookieName(),
		Value:    g.Secret,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
	u := *r.URL
	q := u.Query()
	q.Del(tokenParam)
	u.RawQuery = q.Encode()
	u.Scheme, u.Host = "", ""
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
}

func (g *Guard) cookieName() string {
	if g.Cookie == "" {
		return "swarmlab"
	}
	return g.Cookie
}

func (g *Guard) public(path string) bool {
	for _, p := range g.Public {
		if path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

func (g *Guard) hostAllowed(hostport string) bool {
	return HostAllowed(hostport, g.Hosts)
}

// HostAllowed reports whether a Host header names this server: an IP
// literal, "localhost", or one of names. A browser that sends any other name
// to a server on a private address was sent there by DNS rebinding. The
// visualizer checks its Host this way too.
func HostAllowed(hostport string, names []string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" {
		return false
	}
	if net.ParseIP(host) != nil || strings.EqualFold(host, "localhost") {
		return true
	}
	for _, n := range names {
		if strings.EqualFold(host, strings.TrimSuffix(n, ".")) {
			return true
		}
	}
	return false
}

// SameOrigin reports whether a request may be from the server's own pages.
// A browser names the page that made a request in Origin (always on POST and
// WebSocket upgrades, on cross-origin fetches) and in Sec-Fetch-Site: a
// request from another origin is refused, another port of the same host
// included (it is "same-site", and SameSite cookies go with it). A request
// that names no origin (curl, the CLI, a typed URL) passes: the secret still
// guards it.
func SameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || o == "null" || (u.Scheme != "http" && u.Scheme != "https") {
			return false
		}
		return strings.EqualFold(u.Host, r.Host)
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	// A link followed from another site is a navigation: it cannot read the
	// answer, and no GET here changes anything.
	return r.Header.Get("Sec-Fetch-Mode") == "navigate" && (r.Method == http.MethodGet || r.Method == http.MethodHead)
}

// Bearer returns the token of an "Authorization: Bearer TOKEN" header, or "".
func Bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}
