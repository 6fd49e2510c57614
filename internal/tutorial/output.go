package tutorial

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Words of the text output, in both languages.
var (
	wordStep     = L{"step %d of %d", "ステップ %d/%d"}
	wordNext     = L{"Next", "次"}
	wordComma    = L{", ", "、"}
	wordLook     = L{"to look at, nothing to check", "確認のみ(チェックなし)"}
	wordOnHost   = L{"on the host", "ホストOSで"}
	wordOnNode   = L{"in %s's CLI (docker exec -it %s sh)", "%sのCLIで (docker exec -it %s sh)"}
	wordNow      = L{"Now", "現在"}
	wordTry      = L{"Try", "対処"}
	wordFinished = L{"Every step is done: the tutorial is finished.", "全ステップ完了です。お疲れさまでした。"}
	wordWatching = L{"watching, Ctrl-C to stop", "監視中 Ctrl-Cで終了"}
)

// Watching is the footer of --watch on a terminal.
func Watching(lang string) string { return wordWatching.In(lang) }

// Mark is the one-character status of a step, as verify marks its checks.
func Mark(s StepProgress) string {
	switch s.Status {
	case StatusDone:
		return "✓"
	case StatusCurrent:
		if s.Hint != "" {
			return "✗"
		}
		return "▶"
	case StatusShown:
		return "·"
	case StatusUnknown:
		return "?"
	}
	return " "
}

// WriteText prints where the learner is: every step with its mark, then
// what to type next, where, and what the state shows about it.
func WriteText(w io.Writer, p Progress) {
	lang := p.Lang
	head := fmt.Sprintf("swarmlab tutorial: lab %q", p.Lab)
	if p.Position > 0 {
		head += ", " + fmt.Sprintf(wordStep.In(lang), p.Position, p.Total)
	}
	fmt.Fprintln(w, head)
	if p.Message != "" {
		fmt.Fprintln(w, " ℹ "+p.Message)
	}
	fmt.Fprintln(w)
	for _, s := range p.Steps {
		fmt.Fprintf(w, " %s %2d %-15s %s\n", Mark(s), s.N, s.ID, s.Title)
	}
	fmt.Fprintln(w)
	if p.Finished {
		fmt.Fprintln(w, wordFinished.In(lang))
		return
	}
	if p.Current == "" {
		return
	}
	for _, s := range nextSteps(p) {
		writeStep(w, s, lang)
	}
}

// nextSteps are the current step and the shown steps just before it, which
// the learner types first.
func nextSteps(p Progress) []StepProgress {
	cur := p.Position - 1
	from := cur
	for from > 0 && p.Steps[from-1].Status == StatusShown {
		from--
	}
	return p.Steps[from : cur+1]
}

func writeStep(w io.Writer, s StepProgress, lang string) {
	title := fmt.Sprintf("%s: %d. %s%s%s", wordNext.In(lang), s.N, s.Title, wordComma.In(lang), where(s.Where, lang))
	if s.Status == StatusShown {
		title += " (" + wordLook.In(lang) + ")"
	}
	fmt.Fprintln(w, title)
	fmt.Fprintln(w)
	for _, c := range s.Commands {
		fmt.Fprintln(w, "    "+c)
	}
	fmt.Fprintln(w)
	if s.Note != "" {
		fmt.Fprintln(w, indent(s.Note))
	}
	if s.Detail != "" {
		fmt.Fprintln(w, indent(wordNow.In(lang)+": "+s.Detail))
	}
	if s.Hint != "" {
		fmt.Fprintln(w, indent(wordTry.In(lang)+": "+s.Hint))
	}
	if s.Note != "" || s.Detail != "" || s.Hint != "" {
		fmt.Fprintln(w)
	}
}

func where(node, lang string) string {
	if node == Host {
		return wordOnHost.In(lang)
	}
	return fmt.Sprintf(wordOnNode.In(lang), node, node)
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// WriteJSON prints p as one line of JSON.
func WriteJSON(w io.Writer, p Progress) error {
	return json.NewEncoder(w).Encode(p)
}

// WriteChanges prints, one line each, what changed from prev to p: steps
// newly done, a new current step, a new hint. It is --watch's output when
// it does not go to a terminal.
func WriteChanges(w io.Writer, prev *Progress, p Progress) {
	lang := p.Lang
	if prev == nil || prev.Message != p.Message {
		if p.Message != "" {
			fmt.Fprintln(w, " ℹ "+p.Message)
		}
	}
	old := map[string]StepProgress{}
	if prev != nil {
		for _, s := range prev.Steps {
			old[s.ID] = s
		}
	}
	for _, s := range p.Steps {
		o, seen := old[s.ID]
		switch {
		case s.Status == StatusDone && (!seen || o.Status != StatusDone):
			line := fmt.Sprintf(" ✓ %d %s: %s", s.N, s.ID, s.Title)
			if s.Detail != "" {
				line += " (" + s.Detail + ")"
			}
			fmt.Fprintln(w, line)
		case s.Status == StatusCurrent && (!seen || o.Status != StatusCurrent):
			fmt.Fprintf(w, " ▶ %d %s: %s%s%s: %s\n", s.N, s.ID, s.Title, wordComma.In(lang), where(s.Where, lang), strings.Join(s.Commands, " && "))
		}
		if s.Status == StatusCurrent && s.Hint != "" && (!seen || o.Hint != s.Hint) {
			fmt.Fprintf(w, " ✗ %d %s: %s\n", s.N, s.ID, s.Hint)
		}
	}
	if p.Finished && (prev == nil || !prev.Finished) {
		fmt.Fprintln(w, wordFinished.In(lang))
	}
}

// Same reports whether two progresses show the same to the learner.
func Same(a, b Progress) bool {
	a.At, b.At, a.Elapsed, b.Elapsed = time.Time{}, time.Time{}, 0, 0
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
