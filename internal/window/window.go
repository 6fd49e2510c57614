package window

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/swarmlab/swarmlab/internal/tutorial"
	"github.com/swarmlab/swarmlab/internal/web"
)

//go:embed assets
var assets embed.FS

// Cookie is the window's cookie: its own name, since cookies ignore ports
// and the class board may run on the same 127.0.0.1.
const Cookie = "swarmlab-window"

// Config is one window.
type Config struct {
	// Lab is where the terminals open. Required.
	Lab Lab
	// LabName names the lab on the page.
	LabName string
	// Lang is the page's language: tutorial.English or tutorial.Japanese.
	// Default English.
	Lang string
	// Progress follows the learner through the handout, calling show with
	// each new progress until ctx ends (tutorial.Watch, in the command).
	// Default: no steps on the page.
	Progress func(ctx context.Context, show func(tutorial.Progress)) error
	// Visualizer is the base URL of the lab's visualizer on the host, such
	// as http://127.0.0.1:9000. Default "": no drawing of the swarm.
	Visualizer string
	// Notices are the class's broadcasts. Default NoNotices.
	Notices Notices
	// Secret opens the page. Default: a fresh one (web.NewSecret).
	Secret string
	// Poll is how often the nodes are listed and a stopped node is tried
	// again. Default 1s.
	Poll time.Duration
	// Logger receives the server's logs. Default: discarded.
	Logger *slog.Logger
}

// Server is the window's web server.
type Server struct {
	cfg   Config
	guard *web.Guard
	hub   *hub
	viz   http.Handler
	index *template.Template

	mu    sync.Mutex
	nodes []Node
	ctx   context.Context // ends when Watch's does: it closes the terminals
}

// New checks cfg and returns its server.
func New(cfg Config) (*Server, error) {
	if cfg.Lab == nil {
		return nil, errors.New("window: no lab")
	}
	if cfg.Lang != tutorial.Japanese {
		cfg.Lang = tutorial.English
	}
	if cfg.Notices == nil {
		cfg.Notices = NoNotices{}
	}
	if cfg.Secret == "" {
		cfg.Secret = web.NewSecret()
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, hub: newHub(), ctx: context.Background()}
	s.guard = &web.Guard{Secret: cfg.Secret, Cookie: Cookie,
		Refusal: "this window opens only from the link 'swarmlab open' printed, with its token; run 'swarmlab open' again for a new one"}
	if cfg.Visualizer != "" {
		u, err := url.Parse(cfg.Visualizer)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("window: visualizer URL %q: %v", cfg.Visualizer, err)
		}
		s.viz = vizProxy(u)
	}
	page, err := fs.ReadFile(assets, "assets/index.html")
	if err != nil {
		return nil, err
	}
	s.index = template.Must(template.New("index").Parse(string(page)))
	return s, nil
}

// URL is the address to open: the server's root with the secret, which the
// first request exchanges for a cookie.
func (s *Server) URL(addr string) string {
	return "http://" + addr + "/?token=" + s.cfg.Secret
}

// Handler serves the page, its assets, its live events, the visualizer's
// data and the terminals, all behind the guard.
func (s *Server) Handler() http.Handler {
	static, _ := fs.Sub(assets, "assets")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.serveIndex)
	mux.Handle("GET /static/", http.StripPrefix("/static/", web.Assets(static)))
	mux.HandleFunc("GET /api/config", s.serveConfig)
	mux.HandleFunc("GET /api/events", s.hub.serve)
	mux.HandleFunc("GET /api/viz/{what}", s.serveViz)
	mux.HandleFunc("GET /term/{node}", s.serveTerm)
	return web.Secure(s.guard.Wrap(mux), "")
}

// csp is the page's policy: web.DefaultCSP, but xterm.js writes its own
// <style> elements, which carry the page's nonce, and sets style attributes
// for 24-bit colours (an attribute styles only its element and loads
// nothing from elsewhere).
func csp(nonce string) string {
	return strings.Replace(web.DefaultCSP, "style-src 'self'", "style-src 'self' 'nonce-"+nonce+"'; style-src-attr 'unsafe-inline'", 1)
}

func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	nonce := web.NewSecret()[:22]
	var buf bytes.Buffer
	if err := s.index.Execute(&buf, struct{ Nonce, Lang string }{nonce, s.cfg.Lang}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", csp(nonce))
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// pageConfig is what the page asks first.
type pageConfig struct {
	Lab        string `json:"lab"`
	Lang       string `json:"lang"`
	Visualizer bool   `json:"visualizer"`
	Steps      bool   `json:"steps"`
}

func (s *Server) serveConfig(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(pageConfig{Lab: s.cfg.LabName, Lang: s.cfg.Lang, Visualizer: s.viz != nil, Steps: s.cfg.Progress != nil})
}

func (s *Server) serveViz(w http.ResponseWriter, r *http.Request) {
	if s.viz == nil || (r.PathValue("what") != "state" && r.PathValue("what") != "events") {
		http.NotFound(w, r)
		return
	}
	s.viz.ServeHTTP(w, r)
}

// serveTerm bridges a WebSocket to a shell in a node the lab lists.
func (s *Server) serveTerm(w http.ResponseWriter, r *http.Request) {
	node := r.PathValue("node")
	if !s.known(r.Context(), node) {
		http.Error(w, fmt.Sprintf("the lab has no node %q", node), http.StatusNotFound)
		return
	}
	cols, rows := querySize(r)
	// Accept refuses an upgrade whose Origin is not this host too; the
	// guard has already checked it, the secret and the Host.
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	s.mu.Lock()
	base := s.ctx
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(base, cancel)
	defer stop()
	b := &bridge{lab: s.cfg.Lab, node: node, ws: ws, poll: s.cfg.Poll, log: s.cfg.Logger, cols: cols, rows: rows}
	b.run(ctx)
	ws.Close(websocket.StatusNormalClosure, "")
}

// known reports whether node is one of the lab's nodes: the last list, or a
// fresh one for a node that came since.
func (s *Server) known(ctx context.Context, node string) bool {
	has := func(nodes []Node) bool {
		return slices.ContainsFunc(nodes, func(n Node) bool { return n.Name == node })
	}
	s.mu.Lock()
	nodes := s.nodes
	s.mu.Unlock()
	if has(nodes) {
		return true
	}
	nodes, err := s.cfg.Lab.Nodes(ctx)
	return err == nil && has(nodes)
}

// Watch follows the lab's nodes, the learner's progress and the class's
// notices for the page, until ctx ends; then the terminals close too.
func (s *Server) Watch(ctx context.Context) {
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() { s.watchNodes(ctx) })
	if s.cfg.Progress != nil {
		wg.Go(func() { s.watchProgress(ctx) })
	}
	wg.Go(func() { s.watchNotices(ctx) })
	wg.Wait()
}

// nodesEvent is the "nodes" event of the page.
type nodesEvent struct {
	Nodes []Node `json:"nodes"`
	Error string `json:"error,omitempty"`
}

func (s *Server) watchNodes(ctx context.Context) {
	for {
		nodes, err := s.cfg.Lab.Nodes(ctx)
		if ctx.Err() != nil {
			return
		}
		ev := nodesEvent{Nodes: nodes}
		if err != nil {
			ev.Error = err.Error()
		} else {
			s.mu.Lock()
			s.nodes = nodes
			s.mu.Unlock()
		}
		if ev.Nodes == nil {
			ev.Nodes = []Node{}
		}
		s.hub.set("nodes", ev)
		sleep(ctx, s.cfg.Poll)
		if ctx.Err() != nil {
			return
		}
	}
}

func (s *Server) watchProgress(ctx context.Context) {
	for ctx.Err() == nil {
		err := s.cfg.Progress(ctx, func(p tutorial.Progress) { s.hub.set("progress", p) })
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.cfg.Logger.Warn("cannot read the lab's progress", "err", err)
			s.hub.set("progress-error", map[string]string{"error": err.Error()})
		}
		sleep(ctx, 2*time.Second)
	}
}

func (s *Server) watchNotices(ctx context.Context) {
	var list []Notice
	s.hub.set("notices", []Notice{})
	for ctx.Err() == nil {
		err := s.cfg.Notices.Follow(ctx, func(n Notice) {
			list = append([]Notice{n}, list...)
			if len(list) > maxNotices {
				list = list[:maxNotices]
			}
			s.hub.set("notices", list)
		})
		if err == nil || ctx.Err() != nil {
			return
		}
		s.cfg.Logger.Warn("cannot follow the class's broadcasts", "err", err)
		sleep(ctx, 5*time.Second)
	}
}
