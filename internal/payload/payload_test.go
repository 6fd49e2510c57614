package payload

import (
	"bytes"
	"os"
	"testing"
	"testing/fstest"

	"github.com/klauspost/compress/zstd"
)

func compressed(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	enc, err := zstd.NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	enc.Write(b)
	enc.Close()
	return out.Bytes()
}

func TestExtractOncePerContent(t *testing.T) {
	bin := bytes.Repeat([]byte("\x7fELF server "), 1000)
	fsys := fstest.MapFS{"files/linux_arm64.zst": {Data: compressed(t, bin)}}
	dir := t.TempDir()
	path, sum, err := extractFrom(fsys, "arm64", dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, bin) || sum != Digest(bin) || len(sum) != 16 {
		t.Fatalf("extracted %d bytes to %s, sum %q", len(got), path, sum)
	}
	st, _ := os.Stat(path)
	again, _, err := extractFrom(fsys, "arm64", dir)
	if err != nil || again != path {
		t.Fatalf("second extract: %s, %v", again, err)
	}
	if st2, _ := os.Stat(again); !st2.ModTime().Equal(st.ModTime()) {
		t.Error("the cached binary was written again")
	}
	// Another version replaces the one before.
	next := fstest.MapFS{"files/linux_arm64.zst": {Data: compressed(t, append(bin, '2'))}}
	newer, _, err := extractFrom(next, "arm64", dir)
	if err != nil || newer == path {
		t.Fatalf("newer version: %s, %v", newer, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the older binary is still in the cache: %v", err)
	}
	if _, _, err := extractFrom(fsys, "amd64", dir); err == nil {
		t.Error("no error for an architecture that is not embedded")
	}
}

// A build from source embeds nothing; a release build embeds both.
func TestEmbeddedMatchesBuild(t *testing.T) {
	want := 2
	if SelfServes {
		want = 0
	}
	if got := len(Archs()); got != want {
		t.Fatalf("Archs() = %v with SelfServes=%v", Archs(), SelfServes)
	}
}
