// Package learner joins the tutorial to a class: it turns the tutorial's
// progress into the tick the class server receives (and nothing more), and
// renders what the teacher says for 'swarmlab tutorial --watch'.
package learner

import (
	"fmt"

	"github.com/swarmlab/swarmlab/internal/class/client"
	"github.com/swarmlab/swarmlab/internal/class/proto"
	"github.com/swarmlab/swarmlab/internal/tutorial"
)

// Tick is what is sent of a progress: the lab's name and state, the
// language, the current step and its number, each step's id and status,
// the hint shown for the current step and the lab's message. Not sent: the
// commands, the details, anything else on the machine.
func Tick(p tutorial.Progress) proto.Tick {
	t := proto.Tick{At: p.At, Lab: p.Lab, LabState: p.LabState, Lang: p.Lang, Current: p.Current, Position: p.Position,
		Total: p.Total, Finished: p.Finished, Message: p.Message}
	for _, s := range p.Steps {
		t.Steps = append(t.Steps, proto.StepState{ID: s.ID, Status: s.Status})
		if s.ID == p.Current && s.Hint != "" {
			t.Hint = s.Hint
		}
	}
	return t
}

// Lines is the block --watch shows under the steps: the class's step, the
// teacher's last broadcast, the hand, and the key to raise one (single:
// the h key alone, else h and Enter).
func Lines(r *client.Reporter, lang string, last *tutorial.Progress, single bool) []string {
	if r == nil {
		return nil
	}
	m := r.Membership()
	f, ok := r.Feed()
	ja := lang == tutorial.Japanese
	var out []string
	head := fmt.Sprintf("Class %s (as %s)", m.URL, m.Name)
	if ja {
		head = fmt.Sprintf("クラス %s（%s として参加中）", m.URL, m.Name)
	}
	switch {
	case r.Err() != nil && ok:
		head += pick(ja, " · offline, progress queued: ", " · 接続できません。進捗は送信待ち: ") + fmt.Sprint(r.Pending())
	case r.Err() != nil:
		head += pick(ja, " · not reached yet, progress queued", " · まだ接続できません。進捗は送信待ち")
	}
	out = append(out, head)
	if f.Step != "" {
		// Numbered as the learner's own tutorial numbers it.
		title := f.Step
		if last != nil {
			if st, ok := last.Step(f.Step); ok {
				title = fmt.Sprintf("%d. %s", st.N, st.Title)
			}
		}
		out = append(out, pick(ja, "  Class step: ", "  クラスの現在のステップ: ")+title)
	}
	if f.Broadcast != "" {
		out = append(out, pick(ja, "  Teacher: ", "  講師より: ")+f.Broadcast)
	}
	switch {
	case f.HandOpen && single:
		out = append(out, pick(ja, `  ✋ your hand is up: the teacher will come (to add a question, from any terminal: swarmlab class hand "question")`,
			`  ✋ 手を挙げています。講師が来るまでお待ちください（質問を添えるには、どの端末からでも: swarmlab class hand "質問"）`))
	case f.HandOpen:
		out = append(out, pick(ja, "  ✋ your hand is up: the teacher will come", "  ✋ 手を挙げています。講師が来るまでお待ちください"))
	case single:
		out = append(out, pick(ja, `  Press h to raise a hand (to add a question, from any terminal: swarmlab class hand "question")`,
			`  h キーで手を挙げる（質問を添えるには、どの端末からでも: swarmlab class hand "質問"）`))
	default:
		out = append(out, pick(ja, "  Type h and Enter to raise a hand (h QUESTION to ask something)", "  h と Enter で手を挙げる（h 質問 で質問も送れます）"))
	}
	return out
}

func pick(ja bool, en, jaText string) string {
	if ja {
		return jaText
	}
	return en
}
