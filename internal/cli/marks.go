package cli

import (
	"io"
	"os"
)

// Marks are the signs of a result, in colour on a terminal that shows it.
type Marks struct {
	vt      bool // a terminal that shows escape sequences
	color   bool
	unicode bool
}

// MarksFor returns the marks to write to w: coloured on a terminal (unless
// NO_COLOR is set), ✓ and ✗ wherever they can be shown, and plain OK,
// WARN, FAIL on a Windows console that cannot show them.
func MarksFor(w io.Writer) Marks {
	vt, unicode := true, true
	if f, ok := w.(*os.File); ok && IsTerminal(f) {
		vt = enableVT(f)
		unicode = vt // a console old enough to lack VT processing lacks the glyphs too
	} else {
		vt = false
	}
	return Marks{vt: vt, color: vt && os.Getenv("NO_COLOR") == "", unicode: unicode}
}

// EnableVT makes a terminal show escape sequences, as Windows consoles do
// only when asked; it reports whether it does.
func EnableVT(f *os.File) bool { return enableVT(f) }

// Level is what a mark says.
type Level int

const (
	Pass Level = iota
	Warn
	Fail
)

// Mark returns the sign of l.
func (m Marks) Mark(l Level) string {
	sign := [...]string{"✓", "!", "✗"}[l]
	if !m.unicode {
		sign = [...]string{"OK", "WARN", "FAIL"}[l]
	}
	if !m.color {
		return sign
	}
	return [...]string{"\033[32m", "\033[33m", "\033[31m"}[l] + sign + "\033[0m"
}

// OK is Mark(Pass) or Mark(Fail).
func (m Marks) OK(ok bool) string {
	if ok {
		return m.Mark(Pass)
	}
	return m.Mark(Fail)
}
