package ingress

import (
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/swarmlab/swarmlab/internal/lb"
)

// BackendStats is one service port and its upstreams, as shown on the
// stats page and in /stats.json.
type BackendStats struct {
	Service   string     `json:"service"`
	Port      int        `json:"port"`
	Balance   string     `json:"balance"`
	Hosts     []string   `json:"hosts"`  // VIRTUAL_HOST patterns; "*" for the default route
	Status    string     `json:"status"` // UP when an upstream is available
	Upstreams []lb.Stats `json:"upstreams"`
}

// StatsSnapshot is the whole stats page.
type StatsSnapshot struct {
	Generated time.Time      `json:"generated"`
	Swaps     uint64         `json:"table_swaps"`
	Backends  []BackendStats `json:"backends"`
}

// Stats returns a snapshot of every route and backend.
func (s *Server) Stats() StatsSnapshot {
	t := s.table.Load()
	hosts := map[*Backend][]string{}
	for _, r := range t.Routes {
		h := "*"
		if r.Pattern != nil {
			h = r.Pattern.String()
		}
		hosts[r.Backend] = append(hosts[r.Backend], h)
	}
	snap := StatsSnapshot{Generated: time.Now(), Swaps: s.swaps.Load()}
	for _, b := range t.Backends {
		bs := BackendStats{Service: b.Service, Port: b.Port, Balance: b.Balance, Hosts: hosts[b], Status: "DOWN", Upstreams: b.Pool.Stats()}
		if b.Pool.Available() > 0 {
			bs.Status = "UP"
		}
		snap.Backends = append(snap.Backends, bs)
	}
	return snap
}

//go:embed stats.html
var statsHTML string

var statsTmpl = template.Must(template.New("stats").Funcs(template.FuncMap{
	"ms": func(d time.Duration) string { return strings.TrimSuffix(d.Round(10*time.Microsecond).String(), "0s") },
}).Parse(statsHTML))

// StatsHandler serves the stats page (/), /stats.json and /metrics, all
// behind STATS_AUTH: they reveal internal addresses.
func (s *Server) StatsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := statsTmpl.Execute(w, s.Stats()); err != nil {
			s.logger.Warn("stats page", "err", err)
		}
	})
	mux.HandleFunc("GET /stats.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(s.Stats())
	})
	mux.Handle("GET /metrics", s.metricsHandler())
	return basicAuth(s.cfg.StatsAuth, mux)
}

func basicAuth(userPass string, next http.Handler) http.Handler {
	wantUser, wantPass, _ := strings.Cut(userPass, ":")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		// Compare both halves every time: no early exit to time.
		uok := subtle.ConstantTimeCompare([]byte(u), []byte(wantUser))
		pok := subtle.ConstantTimeCompare([]byte(p), []byte(wantPass))
		if !ok || uok&pok != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="swarmlab ingress stats", charset="UTF-8"`)
			http.Error(w, "401 Unauthorized: use the STATS_AUTH login", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
