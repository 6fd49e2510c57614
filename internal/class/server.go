package class

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/swarmlab/swarmlab/internal/class/proto"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/tutorial"
	"github.com/swarmlab/swarmlab/internal/web"
)

// Options configure a class server. Zero fields take the defaults written
// beside them.
type Options struct {
	Dir string // the class folder: class.db, images/, releases/
	// StuckAfter: no progress for this long marks a learner stuck. Default 10m.
	StuckAfter time.Duration
	// HintStuckAfter: the same hint for this long marks a learner stuck. Default 5m.
	HintStuckAfter time.Duration
	// MaxLearners a class takes. Default 500.
	MaxLearners int
	// JoinRate is the joins a second the whole class takes (burst 4×).
	// Default 20.
	JoinRate float64
	Log      *slog.Logger
	Now      func() time.Time // tests
}

func (o *Options) defaults() {
	if o.StuckAfter == 0 {
		o.StuckAfter = 10 * time.Minute
	}
	if o.HintStuckAfter == 0 {
		o.HintStuckAfter = 5 * time.Minute
	}
	if o.MaxLearners == 0 {
		o.MaxLearners = 500
	}
	if o.JoinRate == 0 {
		o.JoinRate = 20
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// StepInfo is one handout step as the board names it.
type StepInfo struct {
	ID      string `json:"id"`
	N       int    `json:"n"`
	En      string `json:"en"`
	Ja      string `json:"ja"`
	Checked bool   `json:"checked"`
}

// Server is a class: its store, its learners in memory, and the HTTP
// handlers of the board, the learners' API and the download point.
type Server struct {
	opt    Options
	store  *Store
	Code   string // the class code learners type
	Secret string // opens the teacher's pages
	steps  []StepInfo
	known  map[string]bool
	files  *files

	mu        sync.Mutex
	learners  map[int64]*Learner
	byHash    map[string]int64
	hands     []*Hand
	broadcast Broadcast
	classStep string
	version   int64 // grows with every change the board shows
	classVer  int64 // version of the class's own fields (step, broadcast, hands)
	wake      chan struct{}
	joinsByIP *limiter
	joinsAll  *limiter
	badByIP   *limiter
	badAll    *limiter
}

// Open opens the class in opt.Dir, resuming what is stored there.
func Open(ctx context.Context, opt Options) (*Server, error) {
	opt.defaults()
	st, err := OpenStore(opt.Dir)
	if err != nil {
		return nil, err
	}
	s := &Server{opt: opt, store: st, learners: map[int64]*Learner{}, byHash: map[string]int64{}, wake: make(chan struct{}),
		joinsByIP: newLimiter(1, 30), joinsAll: newLimiter(opt.JoinRate, int(4*opt.JoinRate)),
		badByIP: newLimiter(0.2, 10), badAll: newLimiter(2, 60), known: map[string]bool{}}
	if err := s.load(ctx); err != nil {
		st.Close()
		return nil, err
	}
	s.files = newFiles(opt.Dir)
	return s, nil
}

// Close closes the store.
func (s *Server) Close() error { return s.store.Close() }

// Steps lists the handout's steps, for the default lab's workers.
func Steps() []StepInfo {
	env := tutorial.Env{}
	for _, n := range lab.Defaults().Nodes() {
		if n.Role == lab.RoleWorker {
			env.Workers = append(env.Workers, n.Name)
		}
	}
	var out []StepInfo
	for i, st := range tutorial.Steps(env) {
		out = append(out, StepInfo{ID: st.ID, N: i + 1, En: st.Title.En, Ja: st.Title.Ja, Checked: st.Check != nil})
	}
	return out
}

func (s *Server) load(ctx context.Context) error {
	var err error
	if s.Code, err = s.store.MetaOr(ctx, "code", newCode); err != nil {
		return fmt.Errorf("reading the class: %w", err)
	}
	if s.Secret, err = s.store.MetaOr(ctx, "secret", web.NewSecret); err != nil {
		return fmt.Errorf("reading the class: %w", err)
	}
	if s.classStep, err = s.store.Meta(ctx, "step"); err != nil {
		return fmt.Errorf("reading the class: %w", err)
	}
	s.steps = Steps()
	for _, st := range s.steps {
		s.known[st.ID] = true
	}
	ls, err := s.store.learners(ctx)
	if err != nil {
		return fmt.Errorf("reading the learners: %w", err)
	}
	for _, sl := range ls {
		l := &Learner{ID: sl.ID, Name: sl.Name, Joined: sl.Joined, Left: sl.Left, tokenHash: sl.TokenHash, seq: sl.Seq}
		if err := json.Unmarshal(sl.State, &l.State); err != nil {
			return fmt.Errorf("reading learner %d: %w", sl.ID, err)
		}
		s.learners[l.ID] = l
		if l.Left.IsZero() {
			s.byHash[l.tokenHash] = l.ID
		}
	}
	hs, err := s.store.hands(ctx)
	if err != nil {
		return fmt.Errorf("reading the hands: %w", err)
	}
	for _, h := range hs {
		hand := &Hand{ID: h.ID, Learner: h.Learner, At: h.At, Question: h.Question, Answered: h.Answered}
		if l := s.learners[h.Learner]; l != nil {
			hand.Name = l.Name
			if h.Answered.IsZero() {
				l.Hand = hand
			}
		}
		s.hands = append(s.hands, hand)
	}
	bs, err := s.store.Broadcasts(ctx)
	if err != nil {
		return fmt.Errorf("reading the broadcasts: %w", err)
	}
	if len(bs) > 0 {
		s.broadcast = bs[len(bs)-1]
	}
	return nil
}

// newCode is a class code: six characters that are easy to read aloud and
// to type (no 0/O, 1/I/L).
func newCode() string {
	const alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	b := make([]byte, 6)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// changed wakes every board; call with s.mu held.
func (s *Server) changed() {
	s.version++
	close(s.wake)
	s.wake = make(chan struct{})
}

// Handler is the whole server: the board behind the teacher's guard, the
// learners' API beside it.
func (s *Server) Handler() http.Handler {
	g := &web.Guard{Secret: s.Secret, Cookie: "swarmlab-teacher", Public: []string{proto.LearnerPrefix, "/healthz"},
		Refusal: "this is the teacher's board: open the teacher URL that 'swarmlab class serve' printed on the teacher's terminal (the class code is for learners)"}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))
	mux.HandleFunc("POST "+proto.PathJoin, s.join)
	mux.HandleFunc("POST "+proto.PathTick, s.learner(s.tick))
	mux.HandleFunc("POST "+proto.PathHand, s.learner(s.hand))
	mux.HandleFunc("POST "+proto.PathLeave, s.learner(s.leave))
	mux.HandleFunc("GET "+proto.PathFeed, s.learner(func(w http.ResponseWriter, r *http.Request, l *Learner) {
		s.mu.Lock()
		f := s.feed(l)
		s.mu.Unlock()
		writeJSON(w, f)
	}))
	mux.HandleFunc("GET "+proto.PathFiles, s.download(s.manifest))
	mux.HandleFunc("GET "+proto.PathFile+"{kind}/{name}", s.download(s.file))
	s.teacherRoutes(mux)
	return web.Secure(g.Wrap(mux), "")
}

// remoteIP is the address a request came from, without the port.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

// readJSON decodes a body of at most limit bytes into v.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			http.Error(w, fmt.Sprintf("413 body larger than %d bytes", limit), http.StatusRequestEntityTooLarge)
			return false
		}
		http.Error(w, "400 bad JSON: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

// badCredential counts a wrong code or token against ip; false when ip or
// the whole class has tried too many.
func (s *Server) badCredential(ip string) {
	s.badByIP.allow(ip)
	s.badAll.allow("")
}

func (s *Server) credentialsBlocked(ip string) bool {
	return s.badByIP.blocked(ip) || s.badAll.blocked("")
}

func tooMany(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", "30")
	http.Error(w, "429 "+msg, http.StatusTooManyRequests)
}

func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	ip := remoteIP(r)
	if s.credentialsBlocked(ip) {
		tooMany(w, "too many wrong class codes: wait a minute, then check the code on the board")
		return
	}
	var req proto.JoinRequest
	if !readJSON(w, r, 4<<10, &req) {
		return
	}
	if len(req.Code) > proto.MaxCode || !web.Equal(normCode(req.Code), s.Code) {
		s.badCredential(ip)
		http.Error(w, "403 wrong class code: type the code written on the board", http.StatusForbidden)
		return
	}
	name := proto.Clean(req.Name, proto.MaxName)
	if name == "" {
		http.Error(w, "400 a name is needed: --name \"your name\"", http.StatusBadRequest)
		return
	}
	if !s.joinsByIP.allow(ip) || !s.joinsAll.allow("") {
		tooMany(w, "too many joins at once: try again in a few seconds")
		return
	}
	tok := web.NewSecret()
	now := s.opt.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byHash) >= s.opt.MaxLearners {
		http.Error(w, fmt.Sprintf("403 the class is full (%d learners)", s.opt.MaxLearners), http.StatusForbidden)
		return
	}
	id, err := s.store.AddLearner(r.Context(), name, HashToken(tok), now)
	if err != nil {
		s.opt.Log.Error("join", "err", err)
		http.Error(w, "500 cannot store the learner", http.StatusInternalServerError)
		return
	}
	l := &Learner{ID: id, Name: name, Joined: now, tokenHash: HashToken(tok)}
	s.learners[id] = l
	s.byHash[l.tokenHash] = id
	l.version = s.version + 1
	s.changed()
	s.opt.Log.Info("joined", "learner", id, "name", name)
	writeJSON(w, proto.JoinResponse{ID: id, Token: tok, Name: name, Class: "swarmlab class"})
}

func normCode(c string) string {
	b := []byte(c)
	out := b[:0]
	for _, ch := range b {
		switch {
		case ch >= 'a' && ch <= 'z':
			out = append(out, ch-'a'+'A')
		case ch == ' ' || ch == '-':
		default:
			out = append(out, ch)
		}
	}
	return string(out)
}

// learner checks the bearer token and passes its learner to h.
func (s *Server) learner(h func(http.ResponseWriter, *http.Request, *Learner)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ip := remoteIP(r)
		tok := web.Bearer(r)
		s.mu.Lock()
		id, ok := s.byHash[HashToken(tok)]
		l := s.learners[id]
		s.mu.Unlock()
		// A valid token always passes: a flood of wrong ones from elsewhere
		// must not stop the class's ticks.
		if tok == "" || !ok || l == nil {
			if s.credentialsBlocked(ip) {
				tooMany(w, "too many wrong tokens")
				return
			}
			s.badCredential(ip)
			http.Error(w, "401 unknown learner token: join the class again ('swarmlab class join')", http.StatusUnauthorized)
			return
		}
		h(w, r, l)
	}
}

func (s *Server) tick(w http.ResponseWriter, r *http.Request, l *Learner) {
	var t proto.Tick
	if !readJSON(w, r, proto.MaxBody, &t) {
		return
	}
	t = cleanTick(t, s.known)
	now := s.opt.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.Seq <= l.seq {
		// A replay, or a tick that arrives after a newer one: nothing stored.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		_ = json.NewEncoder(w).Encode(proto.TickResponse{Seq: l.seq, Feed: s.feed(l)})
		return
	}
	next := l.State
	next.Steps, next.Times = cloneMap(l.Steps), cloneMap(l.Times)
	next.Hints = append([]SeenHint(nil), l.Hints...)
	next.apply(t, now)
	state, _ := json.Marshal(next)
	if err := s.store.SaveTick(r.Context(), l.ID, t, now, state); err != nil {
		s.opt.Log.Error("tick", "learner", l.ID, "err", err)
		http.Error(w, "500 cannot store the tick", http.StatusInternalServerError)
		return
	}
	l.State, l.seq = next, t.Seq
	l.version = s.version + 1
	s.changed()
	writeJSON(w, proto.TickResponse{Seq: l.seq, Feed: s.feed(l)})
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// noQuestion is the question of a hand raised without one.
const noQuestion = "(no question)"

func (s *Server) hand(w http.ResponseWriter, r *http.Request, l *Learner) {
	var h proto.Hand
	if !readJSON(w, r, 8<<10, &h) {
		return
	}
	q := proto.Clean(h.Question, proto.MaxQuestion)
	now := s.opt.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.Hand != nil {
		// A hand raised with the h key in 'tutorial --watch' has no question;
		// 'class hand "question"' adds one to it. One question per hand.
		if q == "" || l.Hand.Question != noQuestion {
			http.Error(w, "409 your hand is already up: the teacher will come", http.StatusConflict)
			return
		}
		if err := s.store.AskOnHand(r.Context(), l.Hand.ID, q); err != nil {
			s.opt.Log.Error("hand", "err", err)
			http.Error(w, "500 cannot store the question", http.StatusInternalServerError)
			return
		}
		l.Hand.Question = q
		l.version = s.version + 1
		s.classVer = s.version + 1
		s.changed()
		writeJSON(w, s.feed(l))
		return
	}
	if q == "" {
		q = noQuestion
	}
	id, err := s.store.AddHand(r.Context(), l.ID, q, now)
	if err != nil {
		s.opt.Log.Error("hand", "err", err)
		http.Error(w, "500 cannot store the hand", http.StatusInternalServerError)
		return
	}
	hand := &Hand{ID: id, Learner: l.ID, Name: l.Name, At: now, Question: q}
	s.hands = append(s.hands, hand)
	l.Hand = hand
	l.version = s.version + 1
	s.classVer = s.version + 1
	s.changed()
	writeJSON(w, s.feed(l))
}

func (s *Server) leave(w http.ResponseWriter, r *http.Request, l *Learner) {
	now := s.opt.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.store.LeaveLearner(r.Context(), l.ID, now); err != nil {
		http.Error(w, "500 cannot store the leave", http.StatusInternalServerError)
		return
	}
	l.Left = now
	delete(s.byHash, l.tokenHash)
	l.version = s.version + 1
	s.changed()
	w.WriteHeader(http.StatusNoContent)
}

// feed is what a learner is told; call with s.mu held.
func (s *Server) feed(l *Learner) proto.Feed {
	return proto.Feed{Broadcast: s.broadcast.Text, BroadcastAt: s.broadcast.At, Step: s.classStep, HandOpen: l.Hand != nil}
}

// Learners returns a copy of every learner, by id.
func (s *Server) Learners() []Learner {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Learner, 0, len(s.learners))
	for _, l := range s.learners {
		out = append(out, s.copyLearner(l))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (s *Server) copyLearner(l *Learner) Learner {
	c := *l
	c.Steps, c.Times = cloneMap(l.Steps), cloneMap(l.Times)
	c.Hints = append([]SeenHint(nil), l.Hints...)
	if l.Hand != nil {
		h := *l.Hand
		c.Hand = &h
	}
	return c
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
