package visualizer

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"github.com/swarmlab/swarmlab/internal/web"
)

// Handler serves, under the base path: the page at "/", static assets at
// "/static/", the state at "/api/state", the event stream at "/api/events"
// and "/healthz". Everything else is 404. "/healthz" also answers at the
// root, so a container health check does not depend on CTX_ROOT.
func (s *Server) Handler() http.Handler {
	b := s.cfg.BasePath
	static, _ := fs.Sub(webFS, "web/static")
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+b+"/{$}", s.serveIndex)
	mux.Handle("GET "+b+"/static/", http.StripPrefix(b+"/static/", noCache(http.FileServerFS(static))))
	mux.HandleFunc("GET "+b+"/api/state", s.serveState)
	mux.HandleFunc("GET "+b+"/api/events", s.serveEvents)
	mux.HandleFunc("GET "+b+"/healthz", s.serveHealth)
	if b != "" {
		mux.HandleFunc("GET /healthz", s.serveHealth)
		mux.Handle("GET "+b+"", http.RedirectHandler(b+"/", http.StatusMovedPermanently))
	}
	return secureHeaders(s.hostCheck(mux))
}

// hostCheck refuses a Host header that names neither an address nor
// localhost nor one of Config.Hosts: the browser of a page that rebound
// its DNS name to the lab's address (DNS rebinding) would otherwise read
// the swarm's state as its own origin.
func (s *Server) hostCheck(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !web.HostAllowed(r.Host, s.cfg.Hosts) {
			http.Error(w, "421 unknown host: open the visualizer by its address (localhost, 127.0.0.1 or an IP address), or add the name to VISUALIZER_HOSTS", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func secureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		// Everything comes from this server: no CDN, nothing inline.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'self'")
		h.ServeHTTP(w, r)
	})
}

// noCache makes browsers revalidate assets, so an upgraded visualizer never
// runs an old script against a new state format.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	data := struct{ Base string }{s.cfg.BasePath}
	if err := s.index.Execute(w, data); err != nil {
		s.log.Error("cannot render page", "err", err)
	}
}

func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	msg := s.current(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(stamp(msg))
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	// Healthy means serving. An unreachable Docker is reported on the page;
	// restarting the visualizer would not bring Docker back.
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	s.mu.Lock()
	lastErr := s.lastErr
	s.mu.Unlock()
	if lastErr != "" {
		fmt.Fprintf(w, "ok (swarm: %s)\n", lastErr)
		return
	}
	fmt.Fprintln(w, "ok")
}

// serveEvents streams "state" events (the whole State as JSON, whenever it
// changes) and "ping" events carrying the server time. The first event is
// "hello", telling the page how often to expect a ping.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx would otherwise hold events back
	w.WriteHeader(http.StatusOK)

	ch := s.subscribe()
	defer s.unsubscribe(ch)
	hb := time.NewTicker(s.cfg.Heartbeat)
	defer hb.Stop()

	send := func(event string, data []byte) bool {
		_, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
		if err == nil {
			err = rc.Flush()
		}
		return err == nil
	}
	hello := `{"heartbeatMs":` + strconv.FormatInt(s.cfg.Heartbeat.Milliseconds(), 10) + `}`
	if _, err := fmt.Fprint(w, "retry: 2000\n"); err != nil || !send("hello", []byte(hello)) {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case msg := <-ch:
			if !send("state", stamp(msg)) {
				return
			}
		case now := <-hb.C:
			ping, _ := json.Marshal(struct {
				Time time.Time `json:"time"`
			}{now})
			if !send("ping", ping) {
				return
			}
		}
	}
}
