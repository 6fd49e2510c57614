package tutorial

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Screen is the terminal --watch draws on.
type Screen struct {
	Width, Height int // in cells; 0 is taken as 80x24
	// Extra is a block of lines shown above the Next block, kept whole
	// like it (a class's broadcasts, say). Default none.
	Extra []string
	// Footer is the last line (when the lab was read, how to stop).
	Footer string
}

// Words of the fitted output.
var (
	wordDoneFold = L{"%d-%d", "%d-%d"}
	wordMore     = L{"… %d more, to %d %s", "… あと %d ステップ (%d %s まで)"}
)

// WriteFitted prints where the learner is, fitted to the screen: the header
// and the Next block whole (long commands wrapped with a trailing '\', so
// that a copied command still runs as one line), the steps in what height
// is left. When they do not all fit, the done steps fold into one line and
// the list shows a few steps around the current one.
func WriteFitted(w io.Writer, p Progress, s Screen) {
	for _, line := range Fit(p, s) {
		fmt.Fprintln(w, line)
	}
}

// Fit returns the lines WriteFitted prints: never more than s.Height, and
// none wider than s.Width.
func Fit(p Progress, s Screen) []string {
	if s.Width <= 0 || s.Height <= 0 {
		s.Width, s.Height = 80, 24
	}
	s.Width = max(s.Width, 20)
	lang := p.Lang
	cols := s.Width

	var header []string
	head := fmt.Sprintf("swarmlab tutorial: lab %q", p.Lab)
	if p.Position > 0 {
		head += ", " + fmt.Sprintf(wordStep.In(lang), p.Position, p.Total)
	}
	header = append(header, wrapText(head, cols, "")...)
	if p.Message != "" {
		header = append(header, wrapText(" ℹ "+p.Message, cols, "   ")...)
	}

	var next []string
	switch {
	case p.Finished:
		next = wrapText(wordFinished.In(lang), cols, "")
	case p.Current != "":
		for _, st := range nextSteps(p) {
			next = append(next, fitStep(st, lang, cols)...)
		}
		for len(next) > 0 && next[len(next)-1] == "" {
			next = next[:len(next)-1]
		}
	}

	var extra []string
	for _, l := range s.Extra {
		extra = append(extra, wrapText(l, cols, "  ")...)
	}

	// The fixed blocks, each after a blank line; the steps take the rest.
	fixed := len(header) + 1 // blank after the header
	if len(extra) > 0 {
		fixed += len(extra) + 1
	}
	if len(next) > 0 {
		fixed += len(next) + 1
	}
	if s.Footer != "" {
		fixed++
	}
	room := s.Height - fixed

	var out []string
	out = append(out, header...)
	out = append(out, "")
	if room > 0 {
		out = append(out, fitSteps(p, room, cols)...)
		out = append(out, "")
	}
	if len(extra) > 0 {
		out = append(out, extra...)
		out = append(out, "")
	}
	out = append(out, next...)
	// A terminal too small for all of that keeps the top: the header,
	// then as much of the Next block as there is room for.
	limit := s.Height
	if s.Footer != "" {
		limit--
	}
	if len(out) > limit {
		out = out[:max(limit, 0)]
	} else if len(next) > 0 {
		out = append(out, "")
	}
	for len(out) > limit {
		out = out[:len(out)-1]
	}
	if s.Footer != "" {
		// Pad so that the footer sits on the last line.
		for len(out) < s.Height-1 {
			out = append(out, "")
		}
		out = append(out, truncate(s.Footer, cols))
	}
	return out
}

// fitSteps lists the steps in at most room lines: all of them when they
// fit, else a window around the current one (the two steps before it
// first, so the last tick stays in view, then the steps after it), the
// steps before the window folded into one line and those after it counted
// in another.
func fitSteps(p Progress, room, cols int) []string {
	line := func(st StepProgress) string {
		return truncate(fmt.Sprintf(" %s %2d %-15s %s", Mark(st), st.N, st.ID, st.Title), cols)
	}
	n := len(p.Steps)
	if n == 0 {
		return nil
	}
	cur := p.Position - 1
	if cur < 0 { // finished, or nothing to check: the first step not done
		cur = 0
		for cur < n-1 && p.Steps[cur].Status == StatusDone {
			cur++
		}
	}
	size := func(a, b int) int {
		s := b - a
		if a > 0 {
			s++
		}
		if b < n {
			s++
		}
		return s
	}
	a, b := cur, cur+1
	for i := 0; i < 2 && a > 0 && size(a-1, b) <= room; i++ {
		a--
	}
	for b < n && size(a, b+1) <= room {
		b++
	}
	for a > 0 && size(a-1, b) <= room {
		a--
	}
	if size(a, b) > room { // too small for the fold lines: the window alone
		a = max(cur-(room-1), a)
		var out []string
		for _, st := range p.Steps[a:min(b, a+room)] {
			out = append(out, line(st))
		}
		return out
	}
	var out []string
	if a > 0 {
		ids := make([]string, 0, a)
		mark := "✓"
		for _, st := range p.Steps[:a] {
			ids = append(ids, st.ID)
			if st.Status != StatusDone && st.Status != StatusShown {
				mark = "·"
			}
		}
		out = append(out, truncate(fmt.Sprintf(" %s %s: %s", mark, fmt.Sprintf(wordDoneFold.In(p.Lang), 1, a), strings.Join(ids, ", ")), cols))
	}
	for _, st := range p.Steps[a:b] {
		out = append(out, line(st))
	}
	if b < n {
		l := p.Steps[n-1]
		out = append(out, truncate("   "+fmt.Sprintf(wordMore.In(p.Lang), n-b, l.N, l.ID), cols))
	}
	return out
}

// fitStep is one step of the Next block, wrapped to cols.
func fitStep(s StepProgress, lang string, cols int) []string {
	title := fmt.Sprintf("%s: %d. %s%s%s", wordNext.In(lang), s.N, s.Title, wordComma.In(lang), where(s.Where, lang))
	if s.Status == StatusShown {
		title += " (" + wordLook.In(lang) + ")"
	}
	out := wrapText(title, cols, "  ")
	out = append(out, "")
	for _, c := range s.Commands {
		out = append(out, wrapCommand(c, cols, "    ")...)
	}
	out = append(out, "")
	for _, t := range []string{s.Note, prefixed(wordNow.In(lang), s.Detail), prefixed(wordTry.In(lang), s.Hint)} {
		if t != "" {
			for _, para := range strings.Split(t, "\n") {
				out = append(out, wrapText("  "+para, cols, "  ")...)
			}
		}
	}
	if s.Note != "" || s.Detail != "" || s.Hint != "" {
		out = append(out, "")
	}
	return out
}

func prefixed(word, text string) string {
	if text == "" {
		return ""
	}
	return word + ": " + text
}

// Cells is how many terminal cells s takes: two for wide (CJK) characters.
func Cells(s string) int {
	n := 0
	for _, r := range s {
		n += runeCells(r)
	}
	return n
}

func runeCells(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// truncate cuts s to cols cells, marking the cut with '…'.
func truncate(s string, cols int) string {
	if Cells(s) <= cols {
		return s
	}
	n := 0
	for i, r := range s {
		if n+runeCells(r) > cols-1 {
			return s[:i] + "…"
		}
		n += runeCells(r)
	}
	return s
}

// wrapText wraps prose at spaces (anywhere in text without spaces, as
// Japanese is) to cols cells; lines after the first start with indent.
func wrapText(s string, cols int, indent string) []string {
	var out []string
	line, first := "", true
	for s != "" {
		limit := cols
		if !first {
			limit = cols - Cells(indent)
		}
		if Cells(s) <= limit {
			line = s
			s = ""
		} else {
			cut := cutAt(s, limit)
			if sp := strings.LastIndexByte(s[:cut], ' '); sp > 0 && Cells(s[:sp]) > limit/2 {
				cut = sp
			}
			line = s[:cut]
			s = strings.TrimLeft(s[cut:], " ")
		}
		if !first {
			line = indent + line
		}
		out = append(out, strings.TrimRight(line, " "))
		first = false
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// cutAt is the byte offset of the longest prefix of s that takes at most
// cols cells (at least one character).
func cutAt(s string, cols int) int {
	n := 0
	for i, r := range s {
		if n+runeCells(r) > cols && i > 0 {
			return i
		}
		n += runeCells(r)
	}
	return len(s)
}

// wrapCommand wraps a command to cols cells as the shell reads it back: each
// line but the last ends in '\', so that the lines copied together run as
// the one command. It breaks at a space where it can, and never inside
// single quotes unless a quoted word is longer than a line.
func wrapCommand(cmd string, cols int, indent string) []string {
	room := cols - Cells(indent) - 2 // " \"
	if Cells(cmd) <= cols-Cells(indent) || room < 8 {
		return []string{indent + cmd}
	}
	var out []string
	for Cells(cmd) > room+2 {
		cut := cutAt(cmd, room)
		if sp := lastBreak(cmd[:cut]); sp > 0 {
			out = append(out, indent+cmd[:sp]+" \\")
			cmd = strings.TrimLeft(cmd[sp:], " ")
			continue
		}
		// A word longer than a line (a join token): the shell joins the
		// halves back, since a backslash-newline vanishes.
		out = append(out, indent+cmd[:cut]+"\\")
		cmd = cmd[cut:]
	}
	return append(out, indent+cmd)
}

// lastBreak is the offset of the last space of s outside single quotes, or
// -1.
func lastBreak(s string) int {
	quoted, at := false, -1
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\'':
			quoted = !quoted
		case r == ' ' && !quoted:
			at = i
		}
		i += n
	}
	return at
}
