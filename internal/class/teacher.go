package class

import (
	"context"
	"embed"
	"encoding/csv"
	"io/fs"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/swarmlab/swarmlab/internal/class/proto"
	"github.com/swarmlab/swarmlab/internal/web"
)

//go:embed board
var boardFS embed.FS

// Board is what the board page starts from; events then bring changes.
type Board struct {
	Steps      []StepInfo `json:"steps"`
	Learners   []Learner  `json:"learners"`
	Class      ClassInfo  `json:"class"`
	ServerTime time.Time  `json:"serverTime"`
}

// ClassInfo is the class's own state.
type ClassInfo struct {
	Code          string    `json:"code"`
	Step          string    `json:"step,omitempty"`
	Broadcast     Broadcast `json:"broadcast"`
	Hands         []Hand    `json:"hands"` // open ones, oldest first
	StuckAfterSec int       `json:"stuckAfterSec"`
	HintStuckSec  int       `json:"hintStuckSec"`
	Files         int       `json:"files"`
	ServerTime    time.Time `json:"serverTime"`
}

func (s *Server) teacherRoutes(mux *http.ServeMux) {
	sub, _ := fs.Sub(boardFS, "board")
	assets := web.Assets(sub)
	mux.Handle("GET /", assets)
	mux.HandleFunc("GET /api/teacher/board", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.Board()) })
	mux.HandleFunc("GET /api/teacher/events", s.events)
	mux.HandleFunc("GET /api/teacher/learner/{id}", s.detail)
	mux.HandleFunc("POST /api/teacher/broadcast", s.postBroadcast)
	mux.HandleFunc("POST /api/teacher/step", s.postStep)
	mux.HandleFunc("POST /api/teacher/answer", s.postAnswer)
	mux.HandleFunc("GET /api/teacher/export.json", s.exportJSON)
	mux.HandleFunc("GET /api/teacher/export.csv", s.exportCSV)
}

// Board returns the whole board now.
func (s *Server) Board() Board {
	ls := s.Learners()
	s.mu.Lock()
	ci := s.classInfo()
	s.mu.Unlock()
	return Board{Steps: s.steps, Learners: ls, Class: ci, ServerTime: s.opt.Now()}
}

// classInfo: call with s.mu held.
func (s *Server) classInfo() ClassInfo {
	ci := ClassInfo{Code: s.Code, Step: s.classStep, Broadcast: s.broadcast, Hands: []Hand{},
		StuckAfterSec: int(s.opt.StuckAfter.Seconds()), HintStuckSec: int(s.opt.HintStuckAfter.Seconds()),
		Files: len(s.files.manifest().Files), ServerTime: s.opt.Now()}
	for _, h := range s.hands {
		if h.Answered.IsZero() {
			ci.Hands = append(ci.Hands, *h)
		}
	}
	return ci
}

// events streams the board: "board" once, then "learner" for each learner
// that changed and "class" when the class's own state did, at most ten
// times a second.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	st, err := web.NewStream(w)
	if err != nil {
		return
	}
	s.mu.Lock()
	seen := s.version
	s.mu.Unlock()
	if st.Send("board", s.Board()) != nil {
		return
	}
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		s.mu.Lock()
		wake := s.wake
		if s.version > seen {
			// Changed while the last events went out.
			wake = closed
		}
		s.mu.Unlock()
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			s.mu.Lock()
			ci := s.classInfo()
			s.mu.Unlock()
			if st.Send("class", ci) != nil {
				return
			}
			continue
		case <-wake:
		}
		var changed []Learner
		s.mu.Lock()
		for _, l := range s.learners {
			if l.version > seen {
				changed = append(changed, s.copyLearner(l))
			}
		}
		classChanged := s.classVer > seen
		ci := s.classInfo()
		seen = s.version
		s.mu.Unlock()
		for _, l := range changed {
			if st.Send("learner", l) != nil {
				return
			}
		}
		if classChanged && st.Send("class", ci) != nil {
			return
		}
		// Coalesce a burst of ticks into one push.
		select {
		case <-r.Context().Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Detail is one learner's page.
type Detail struct {
	Learner Learner    `json:"learner"`
	Ticks   []TickRow  `json:"ticks"`
	Hands   []Hand     `json:"hands"`
	Steps   []StepInfo `json:"steps"`
}

func (s *Server) detail(w http.ResponseWriter, r *http.Request) {
	id := atoi64(r.PathValue("id"))
	s.mu.Lock()
	l, ok := s.learners[id]
	var d Detail
	if ok {
		d.Learner = s.copyLearner(l)
		for _, h := range s.hands {
			if h.Learner == id {
				d.Hands = append(d.Hands, *h)
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		http.Error(w, "404 no such learner", http.StatusNotFound)
		return
	}
	d.Steps = s.steps
	// The timeline: a tick per change of step or hint, not every tick.
	var last TickRow
	err := s.store.Ticks(r.Context(), id, func(_ int64, t TickRow) error {
		if len(d.Ticks) == 0 || t.Current != last.Current || t.Hint != last.Hint || t.Done != last.Done {
			d.Ticks = append(d.Ticks, t)
		}
		last = t
		return nil
	})
	if err != nil {
		http.Error(w, "500 "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, d)
}

func (s *Server) postBroadcast(w http.ResponseWriter, r *http.Request) {
	var req struct{ Text string }
	if !readJSON(w, r, 4<<10, &req) {
		return
	}
	b := Broadcast{At: s.opt.Now(), Text: proto.Clean(req.Text, proto.MaxMessage)}
	if err := s.store.AddBroadcast(r.Context(), b.Text, b.At); err != nil {
		http.Error(w, "500 "+err.Error(), http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	s.broadcast = b
	s.classVer = s.version + 1
	s.changed()
	s.mu.Unlock()
	writeJSON(w, b)
}

func (s *Server) postStep(w http.ResponseWriter, r *http.Request) {
	var req struct{ Step string }
	if !readJSON(w, r, 4<<10, &req) {
		return
	}
	if req.Step != "" && !s.known[req.Step] {
		http.Error(w, "400 no such step", http.StatusBadRequest)
		return
	}
	if err := s.store.SetMeta(r.Context(), "step", req.Step); err != nil {
		http.Error(w, "500 "+err.Error(), http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	s.classStep = req.Step
	s.classVer = s.version + 1
	s.changed()
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) postAnswer(w http.ResponseWriter, r *http.Request) {
	var req struct{ Hand int64 }
	if !readJSON(w, r, 4<<10, &req) {
		return
	}
	now := s.opt.Now()
	if err := s.store.AnswerHand(r.Context(), req.Hand, now); err != nil {
		http.Error(w, "404 no open hand "+strconv.FormatInt(req.Hand, 10), http.StatusNotFound)
		return
	}
	s.mu.Lock()
	for _, h := range s.hands {
		if h.ID == req.Hand {
			h.Answered = now
			if l := s.learners[h.Learner]; l != nil && l.Hand != nil && l.Hand.ID == h.ID {
				l.Hand = nil
				l.version = s.version + 1
			}
		}
	}
	s.classVer = s.version + 1
	s.changed()
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Export is the session: attendance, and per learner and step when it was
// done and how long it took.
type Export struct {
	Code       string          `json:"code"`
	At         time.Time       `json:"at"`
	Steps      []StepInfo      `json:"steps"`
	Learners   []ExportLearner `json:"learners"`
	Completion map[string]int  `json:"completion"` // step id: learners who did it
	Hands      []Hand          `json:"hands"`
	Broadcasts []Broadcast     `json:"broadcasts"`
}

// ExportLearner is one learner in an Export.
type ExportLearner struct {
	ID       int64                `json:"id"`
	Name     string               `json:"name"`
	Joined   time.Time            `json:"joined"`
	Left     time.Time            `json:"left,omitzero"`
	LastSeen time.Time            `json:"lastSeen,omitzero"`
	Current  string               `json:"current,omitempty"`
	Finished bool                 `json:"finished"`
	Done     int                  `json:"done"`
	Steps    map[string]StepTotal `json:"steps"`
}

// StepTotal is one learner's step in the export.
type StepTotal struct {
	Done    bool      `json:"done"`
	DoneAt  time.Time `json:"doneAt,omitzero"`
	Seconds int       `json:"seconds,omitempty"` // from first current to done
}

// Export returns the session.
func (s *Server) Export() Export {
	b := s.Board()
	e := Export{Code: b.Class.Code, At: b.ServerTime, Steps: b.Steps, Completion: map[string]int{}}
	for _, l := range b.Learners {
		el := ExportLearner{ID: l.ID, Name: l.Name, Joined: l.Joined, Left: l.Left, LastSeen: l.LastSeen, Current: l.Current,
			Finished: l.Finished, Steps: map[string]StepTotal{}}
		for _, st := range b.Steps {
			t := l.Times[st.ID]
			tot := StepTotal{Done: l.Steps[st.ID] == "done", DoneAt: t.Done}
			if !t.First.IsZero() && !t.Done.IsZero() && t.Done.After(t.First) {
				tot.Seconds = int(t.Done.Sub(t.First).Seconds())
			}
			if tot.Done {
				el.Done++
				e.Completion[st.ID]++
			}
			el.Steps[st.ID] = tot
		}
		e.Learners = append(e.Learners, el)
	}
	s.mu.Lock()
	for _, h := range s.hands {
		e.Hands = append(e.Hands, *h)
	}
	s.mu.Unlock()
	e.Broadcasts, _ = s.store.Broadcasts(context.Background())
	return e
}

func (s *Server) exportJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Disposition", `attachment; filename="class-`+time.Now().Format("20060102-1504")+`.json"`)
	writeJSON(w, s.Export())
}

// exportCSV writes one row per learner: attendance, then for each step
// whether it was done and the seconds it took. A cell that starts with = + -
// @ is prefixed with ' so that a spreadsheet does not run it.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request) {
	e := s.Export()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="class-`+time.Now().Format("20060102-1504")+`.csv"`)
	cw := csv.NewWriter(w)
	head := []string{"id", "name", "joined", "left", "last_seen", "current", "finished", "steps_done"}
	for _, st := range e.Steps {
		head = append(head, st.ID+"_done", st.ID+"_seconds")
	}
	_ = cw.Write(head)
	sort.Slice(e.Learners, func(i, j int) bool { return e.Learners[i].ID < e.Learners[j].ID })
	for _, l := range e.Learners {
		row := []string{strconv.FormatInt(l.ID, 10), csvSafe(l.Name), stamp(l.Joined), stamp(l.Left), stamp(l.LastSeen), l.Current,
			strconv.FormatBool(l.Finished), strconv.Itoa(l.Done)}
		for _, st := range e.Steps {
			t := l.Steps[st.ID]
			sec := ""
			if t.Seconds > 0 {
				sec = strconv.Itoa(t.Seconds)
			}
			row = append(row, strconv.FormatBool(t.Done), sec)
		}
		_ = cw.Write(row)
	}
	cw.Flush()
}

func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
