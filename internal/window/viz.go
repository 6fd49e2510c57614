package window

import (
	"net/http"
	"net/http/httputil"
	"net/url"
)

// vizProxy serves the visualizer's /api/state and /api/events under
// /api/viz/, from the page's own origin: the page's strict CSP reaches
// nothing else, and the visualizer sees a request with none of the window's
// cookies or secrets.
func vizProxy(base *url.URL) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(base)
			pr.Out.URL.Path = base.Path + "/api/" + pr.In.PathValue("what")
			pr.Out.URL.RawPath = ""
			pr.Out.URL.RawQuery = ""
			for _, h := range []string{"Cookie", "Authorization", "Origin", "Referer"} {
				pr.Out.Header.Del(h)
			}
		},
		FlushInterval: -1, // events go through as they come
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "the visualizer does not answer yet: it runs once its step deploys it", http.StatusBadGateway)
		},
	}
}
