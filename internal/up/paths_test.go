package up

import (
	"errors"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
)

func TestStackFolderMounts(t *testing.T) {
	tests := []struct {
		goos, dir string
		ok        bool
	}{
		{"windows", `C:\Users\me\AppData\Local\swarmlab\stack`, true},
		{"windows", `D:\labs\stack`, true},
		{"windows", `\\wsl.localhost\Ubuntu\home\me\stack`, false},
		{"windows", `\\wsl$\Ubuntu\home\me\stack`, false},
		{"windows", `//server/share/stack`, false},
		{"darwin", "/Users/me/.local/share/swarmlab/swarmlab/stack", true},
		{"linux", "/home/me/stack", true},
	}
	for _, tt := range tests {
		err := checkMountable(tt.goos, tt.dir)
		if (err == nil) != tt.ok || err != nil && !strings.Contains(cli.HintOf(err), "Windows drive") {
			t.Errorf("checkMountable(%s, %s) = %v", tt.goos, tt.dir, err)
		}
	}
	// What Docker Desktop answers for a folder it does not share.
	for _, msg := range []string{
		"Error response from daemon: Mounts denied: \nThe path /opt/lab/stack is not shared from the host and is not known to Docker.",
		`invalid mount config for type "bind": bind source path does not exist: /run/desktop/mnt/host/d/lab/stack`,
	} {
		if hint := cli.HintOf(mountErr(errors.New(msg), "/opt/lab/stack")); !strings.Contains(hint, "File sharing") {
			t.Errorf("mountErr(%q): hint %q", msg, hint)
		}
	}
	if err := mountErr(errors.New("boom"), "/x"); cli.HintOf(err) != "" {
		t.Errorf("an unrelated error got a hint: %q", cli.HintOf(err))
	}
}
