package class

import (
	"time"

	"github.com/swarmlab/swarmlab/internal/class/proto"
)

// Learner is one learner as the board shows them. Its JSON is the board's
// and the export's; State is what is kept in the database between ticks.
type Learner struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Joined    time.Time `json:"joined"`
	Left      time.Time `json:"left,omitzero"`
	State               // from the ticks
	Hand      *Hand     `json:"hand,omitempty"` // the open hand, if any
	version   int64
	tokenHash string
	seq       int64
}

// State is what the ticks told of a learner.
type State struct {
	LastSeen  time.Time           `json:"lastSeen,omitzero"`
	LabState  string              `json:"labState,omitempty"`
	Current   string              `json:"current,omitempty"`
	Position  int                 `json:"position,omitempty"`
	Finished  bool                `json:"finished,omitempty"`
	StepSince time.Time           `json:"stepSince,omitzero"` // when Current became current
	Hint      string              `json:"hint,omitempty"`
	HintSince time.Time           `json:"hintSince,omitzero"`
	Steps     map[string]string   `json:"steps,omitempty"` // id: status
	Times     map[string]StepTime `json:"times,omitempty"` // id: when it was current and done
	Hints     []SeenHint          `json:"hints,omitempty"` // every hint seen, oldest first (the last 50)
	Summary   *proto.Summary      `json:"summary,omitempty"`
	Verify    *proto.VerifyResult `json:"verify,omitempty"`
	Ticks     int                 `json:"ticks"`
	Message   string              `json:"message,omitempty"`
}

// StepTime is when a step was first current and first done.
type StepTime struct {
	First time.Time `json:"first,omitzero"`
	Done  time.Time `json:"done,omitzero"`
}

// SeenHint is a hint a learner saw, and since when.
type SeenHint struct {
	At   time.Time `json:"at"`
	Step string    `json:"step"`
	Hint string    `json:"hint"`
}

// Hand is a raised hand.
type Hand struct {
	ID       int64     `json:"id"`
	Learner  int64     `json:"learner"`
	Name     string    `json:"name"`
	At       time.Time `json:"at"`
	Question string    `json:"question"`
	Answered time.Time `json:"answered,omitzero"`
}

const maxHints = 50

// apply folds a tick received at now into the state.
func (s *State) apply(t proto.Tick, now time.Time) {
	if t.Steps == nil && t.Current == "" && t.Verify != nil {
		// A 'swarmlab verify': the tutorial's state is unchanged.
		s.Verify, s.LastSeen = t.Verify, now
		s.Ticks++
		return
	}
	if s.Steps == nil {
		s.Steps = map[string]string{}
	}
	if s.Times == nil {
		s.Times = map[string]StepTime{}
	}
	if t.Current != s.Current || s.StepSince.IsZero() {
		s.StepSince = now
	}
	if t.Hint != s.Hint {
		s.HintSince = now
		if t.Hint != "" {
			s.Hints = append(s.Hints, SeenHint{At: now, Step: t.Current, Hint: t.Hint})
			if len(s.Hints) > maxHints {
				s.Hints = s.Hints[len(s.Hints)-maxHints:]
			}
		}
	}
	s.LastSeen, s.LabState, s.Current, s.Position, s.Finished, s.Hint, s.Message = now, t.LabState, t.Current, t.Position, t.Finished, t.Hint, t.Message
	clear(s.Steps)
	for _, st := range t.Steps {
		s.Steps[st.ID] = st.Status
		tm := s.Times[st.ID]
		switch st.Status {
		case "current":
			if tm.First.IsZero() {
				tm.First = now
			}
		case "done":
			if tm.Done.IsZero() {
				tm.Done = now
			}
		}
		s.Times[st.ID] = tm
	}
	if t.Summary != nil {
		s.Summary = t.Summary
	}
	if t.Verify != nil {
		s.Verify = t.Verify
	}
	s.Ticks++
}

// cleanTick cuts a learner's tick to what the server keeps: known steps
// only, short texts.
func cleanTick(t proto.Tick, known map[string]bool) proto.Tick {
	t.Lab = proto.Clean(t.Lab, 40)
	t.LabState = proto.Clean(t.LabState, 20)
	t.Lang = proto.Clean(t.Lang, 5)
	t.Hint = proto.Clean(t.Hint, proto.MaxHint)
	t.Message = proto.Clean(t.Message, proto.MaxHint)
	if !known[t.Current] {
		t.Current = ""
	}
	var steps []proto.StepState
	for _, st := range t.Steps {
		if known[st.ID] && len(steps) < proto.MaxSteps {
			switch st.Status {
			case "done", "current", "todo", "shown", "unknown":
				steps = append(steps, st)
			}
		}
	}
	t.Steps = steps
	if t.Summary != nil {
		sm := *t.Summary
		sm.Services = cleanList(sm.Services, 60)
		t.Summary = &sm
	}
	if t.Verify != nil {
		v := *t.Verify
		v.Failed = cleanList(v.Failed, 200)
		t.Verify = &v
	}
	return t
}

// cleanList keeps the first 20 items of a learner's list, each cleaned and
// cut to limit (as proto.Clean cuts).
func cleanList(items []string, limit int) []string {
	var out []string
	for _, s := range items[:min(len(items), 20)] {
		out = append(out, proto.Clean(s, limit))
	}
	return out
}
