package tutorial

import "time"

// Statuses of a step in a Progress.
const (
	StatusDone    = "done"    // checked, and done
	StatusCurrent = "current" // the first checked step not done: what to type next
	StatusTodo    = "todo"    // not done yet
	StatusShown   = "shown"   // leaves no trace: shown, never checked, never blocks
	StatusUnknown = "unknown" // cannot be checked now (the lab is stopped or gone)
)

// How a done step is known to be done (StepProgress.By).
const (
	ByState  = "state"  // its check passes now
	ByRecord = "record" // it passed before, and the state does not say it was undone
	ByLater  = "later"  // its trace is gone by design, and a later step is done
)

// Progress is where the learner is. Its JSON form is 'swarmlab tutorial
// --json' (field names are stable; see docs/tutorial.md).
type Progress struct {
	Lab      string         `json:"lab"`       // the lab's name
	LabState string         `json:"labState"`  // running, stopped, down, absent
	Lang     string         `json:"lang"`      // en or ja
	Current  string         `json:"current"`   // id of the step to do next; "" when none
	Position int            `json:"position"`  // its number, from 1; 0 when none
	Total    int            `json:"total"`     // number of steps
	Finished bool           `json:"finished"`  // the last step is done
	Message  string         `json:"message"`   // about the lab as a whole, when there is something to say
	Steps    []StepProgress `json:"steps"`     //
	At       time.Time      `json:"at"`        // when the state was read
	Elapsed  time.Duration  `json:"elapsedNs"` // how long reading it took
}

// StepProgress is one step in a Progress.
type StepProgress struct {
	N        int      `json:"n"`     // from 1
	ID       string   `json:"id"`    // stable name: init, join-worker01, tag, ...
	Title    string   `json:"title"` // in the chosen language
	Where    string   `json:"where"` // manager, worker01, ... or host
	Commands []string `json:"commands"`
	Note     string   `json:"note,omitempty"`
	Checked  bool     `json:"checked"` // false for steps that leave no trace
	Status   string   `json:"status"`  // done, current, todo, shown, unknown
	By       string   `json:"by,omitempty"`
	Detail   string   `json:"detail,omitempty"` // what the state shows
	Hint     string   `json:"hint,omitempty"`   // what went wrong, and what to type
}

// Done lists the ids of the done steps.
func (p Progress) Done() []string {
	var out []string
	for _, s := range p.Steps {
		if s.Status == StatusDone {
			out = append(out, s.ID)
		}
	}
	return out
}

// Step returns the step with id.
func (p Progress) Step(id string) (StepProgress, bool) {
	for _, s := range p.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return StepProgress{}, false
}

// Evaluate runs every check against the state and works out where the
// learner is: at the first checked step that is not done. A step is done
// when its check passes, when the record says it passed and the state does
// not say it was undone, or, for a transient step, when a later step whose
// trace lasts is done: the learner went on.
func Evaluate(steps []Step, env Env, s *State, lang string) Progress {
	p := Progress{LabState: s.Lab, Lang: lang, Total: len(steps), Lab: env.Lab}
	e := &Eval{Env: env, done: map[string]bool{}}
	results := make([]Result, len(steps))
	live := s.Lab == LabRunning
	// Which lasting steps the state shows done, for the transient ones
	// before them.
	lastingFrom := -1
	if live {
		for i := len(steps) - 1; i >= 0; i-- {
			if st := steps[i]; st.Check != nil && !st.Transient && st.ID != "down" {
				if st.Check(s, &Eval{Env: env, done: map[string]bool{}}).Done {
					lastingFrom = i
					break
				}
			}
		}
	}
	by := make([]string, len(steps))
	// A later step vouches for a traceless one only when the learner came
	// in order: a step typed ahead of its turn does not tick the skipped
	// service steps.
	inOrder := true
	for i, st := range steps {
		if st.Check == nil {
			continue
		}
		if live || st.ID == "down" {
			results[i] = st.Check(s, e)
		}
		switch r := results[i]; {
		case r.Done:
			by[i] = ByState
		case s.Record[st.ID] && !r.Undone:
			results[i].Done, by[i] = true, ByRecord
		case live && inOrder && (st.Transient || r.Unseen) && i < lastingFrom:
			results[i].Done, by[i] = true, ByLater
		}
		e.done[st.ID] = results[i].Done
		inOrder = inOrder && results[i].Done
	}
	for i, st := range steps {
		sp := StepProgress{N: i + 1, ID: st.ID, Title: st.Title.In(lang), Where: st.Where, Commands: st.Commands,
			Note: st.Note.In(lang), Checked: st.Check != nil, Detail: results[i].Detail.In(lang), Hint: results[i].Hint.In(lang)}
		switch {
		case st.Check == nil:
			sp.Status = StatusShown
		case results[i].Done:
			sp.Status, sp.By = StatusDone, by[i]
		case s.Lab == LabAbsent:
			sp.Status = StatusTodo
		case !live && (s.Lab == LabDown || len(s.Record) == 0 || p.Current != ""):
			sp.Status = StatusUnknown
		case p.Current == "":
			sp.Status = StatusCurrent
			p.Current, p.Position = st.ID, i+1
		default:
			sp.Status = StatusTodo
		}
		p.Steps = append(p.Steps, sp)
	}
	last := p.Steps[len(p.Steps)-1]
	p.Finished = last.Status == StatusDone
	if p.Finished {
		p.Current, p.Position = "", 0
	}
	p.Message = labMessage(s.Lab, env).In(lang)
	return p
}

func labMessage(state string, env Env) L {
	switch state {
	case LabStopped:
		return Lf("The lab is stopped: '%s' brings it back. Nothing can be checked meanwhile.", "環境が停止しています。'%s' で再開できます。停止中は確認できません。", env.Swarmlab("start"))
	case LabDown:
		return Lf("The lab was taken down; its registry's images are kept. If that was the last step, the tutorial is over. To start again: '%s'.", "環境は破棄されました(レジストリのイメージは残っています)。最後のステップなら、これで終了です。最初からやり直すには '%s'。", env.Swarmlab("up --hands-on"))
	case LabAbsent:
		return Lf("There is no lab %q yet: start the hands-on lab with '%s'.", "環境 %q はまだありません。'%s' で体験環境を起動してください。", env.Lab, env.Swarmlab("up --hands-on"))
	}
	return L{}
}
