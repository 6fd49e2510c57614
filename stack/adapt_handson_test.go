package stack

import (
	"bytes"
	"testing"
)

// A hands-on lab mounts adapted copies at /stack, and up adapts what it
// deploys again: adapting twice must change nothing more.
func TestAdaptTwice(t *testing.T) {
	for _, s := range Stacks {
		data, _ := Files.ReadFile(s.File)
		once, err := AdaptNoIPVS(data)
		if err != nil {
			t.Fatal(err)
		}
		twice, err := AdaptNoIPVS(once)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once, twice) {
			t.Errorf("%s changes when adapted again:\n%s\n---\n%s", s.File, once, twice)
		}
	}
}
