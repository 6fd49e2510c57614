package tutorial

import (
	"fmt"
	"os"
	"strings"
)

// Languages the tutorial speaks.
const (
	English  = "en"
	Japanese = "ja"
)

// L is one text in both languages. The Japanese follows the handout's own
// wording wherever the handout says it.
type L struct{ En, Ja string }

// In returns the text in lang, English when there is no Japanese.
func (l L) In(lang string) string {
	if lang == Japanese && l.Ja != "" {
		return l.Ja
	}
	return l.En
}

// Empty reports whether there is no text.
func (l L) Empty() bool { return l.En == "" && l.Ja == "" }

// Lf formats both texts with the same arguments.
func Lf(en, ja string, args ...any) L {
	return L{fmt.Sprintf(en, args...), fmt.Sprintf(ja, args...)}
}

// Lang picks the language: flag if given (en or ja), else the locale's, as
// the C library reads it (LC_ALL, then LC_MESSAGES, then LANG).
func Lang(flag string) (string, error) {
	switch flag {
	case English, Japanese:
		return flag, nil
	case "":
	default:
		return "", fmt.Errorf("language %q: use en or ja", flag)
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc := os.Getenv(v); loc != "" {
			if strings.HasPrefix(strings.ToLower(loc), "ja") {
				return Japanese, nil
			}
			return English, nil
		}
	}
	return English, nil
}
