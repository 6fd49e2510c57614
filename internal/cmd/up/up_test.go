package up

import (
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/cmdtest"
	"github.com/swarmlab/swarmlab/internal/docker/fakedocker"
)

func TestUpRefusesBeforeMakingAnything(t *testing.T) {
	tests := []struct {
		args      []string
		err, hint string
		connects  int
	}{
		{[]string{"up", "--workers", "99"}, "workers 99: must be between 0 and 20", "fix the flags", 0},
		{[]string{"up", "--registry-port", "0"}, "registry port 0", "fix the flags", 0},
		{[]string{"--name", "lab2", "up", "--hands-on", "--managers", "3"}, "one manager (not 3)", "'swarmlab --name lab2 up --managers N' without --hands-on", 1},
		{[]string{"up", "--hands-on", "--bare"}, "cannot be combined", "use one of them", 1},
	}
	for _, tt := range tests {
		e := fakedocker.New()
		r := cmdtest.Run(e, NewCommand, tt.args...)
		if r.Error == nil || !strings.Contains(r.Error.Error(), tt.err) || !strings.Contains(cli.HintOf(r.Error), tt.hint) || r.Connects != tt.connects {
			t.Errorf("%q: err = %v, hint %q, %d connects", tt.args, r.Error, cli.HintOf(r.Error), r.Connects)
		}
		if len(e.Containers)+len(e.Networks)+len(e.Volumes) != 0 {
			t.Errorf("%q made something", tt.args)
		}
	}
}
