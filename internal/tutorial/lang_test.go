package tutorial

import "testing"

func TestLang(t *testing.T) {
	tests := []struct {
		flag, lcAll, lang, want string
	}{
		{"", "", "ja_JP.UTF-8", Japanese},
		{"", "", "en_US.UTF-8", English},
		{"", "C", "ja_JP.UTF-8", English},
		{"", "", "", English},
		{"ja", "", "C", Japanese},
		{"en", "", "ja_JP.UTF-8", English},
	}
	for _, tt := range tests {
		t.Setenv("LC_ALL", tt.lcAll)
		t.Setenv("LC_MESSAGES", "")
		t.Setenv("LANG", tt.lang)
		if got, err := Lang(tt.flag); err != nil || got != tt.want {
			t.Errorf("Lang(%q) with LC_ALL=%q LANG=%q = %q, %v; want %q", tt.flag, tt.lcAll, tt.lang, got, err, tt.want)
		}
	}
	if _, err := Lang("fr"); err == nil {
		t.Error("want an error for fr")
	}
}
