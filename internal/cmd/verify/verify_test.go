package verify

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/cmdtest"
	"github.com/swarmlab/swarmlab/internal/docker/fakedocker"
)

func TestVerifyAMissingLabFailsWithWhatToDo(t *testing.T) {
	r := cmdtest.Run(fakedocker.New(), NewCommand, "--name", "lab2", "verify")
	var exit *cli.ExitError
	if !errors.As(r.Error, &exit) || exit.Code != 1 {
		t.Fatalf("err = %v", r.Error)
	}
	for _, want := range []string{"Nodes Ready with one Leader", "Try: create the lab with 'swarmlab --name lab2 up'", "1 of 1 checks failed"} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.Out)
		}
	}
	r = cmdtest.Run(fakedocker.New(), NewCommand, "verify", "--json")
	var got struct {
		OK     bool `json:"ok"`
		Checks []struct {
			Name string `json:"name"`
			OK   bool   `json:"ok"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(r.Out), &got); err != nil || got.OK || len(got.Checks) != 1 || got.Checks[0].OK {
		t.Fatalf("json %+v, %v:\n%s", got, err, r.Out)
	}
}
