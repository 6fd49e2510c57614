package proto

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"Aiko", "Aiko"},
		{"  two\n\nlines\t", "two lines"},
		{"esc\x1b[31mred", "esc [31mred"},
		{"bidi\u202eevil", "bidi evil"},
		{"zero\u200bwidth", "zero width"},
		{"nul\x00byte", "nul byte"},
		{"bad\xffutf8", "badutf8"},
		{"<script>x</script>", "<script>x</script>"}, // text, shown as text
		{strings.Repeat("あ", 50), strings.Repeat("あ", 40)},
	} {
		if got := Clean(tc.in, 40); got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzClean(f *testing.F) {
	f.Add("a\nb\x1b", 10)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1000 {
			return
		}
		got := Clean(s, max)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > max || strings.ContainsAny(got, "\n\r\x1b\x00\u202e") {
			t.Fatalf("Clean(%q, %d) = %q", s, max, got)
		}
	})
}
