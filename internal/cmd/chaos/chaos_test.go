package chaos

import (
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/chaos"
	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/lab"
)

func TestScenarioFromFlags(t *testing.T) {
	tests := []struct {
		flags scenarioFlags
		args  []string
		want  chaos.Options
	}{
		{scenarioFlags{}, nil, chaos.Options{Scenario: chaos.ScenarioStop, Node: "worker01"}},
		{scenarioFlags{kill: true}, []string{"worker02"}, chaos.Options{Scenario: chaos.ScenarioKill, Node: "worker02"}},
		{scenarioFlags{drain: true}, []string{"worker03"}, chaos.Options{Scenario: chaos.ScenarioDrain, Node: "worker03"}},
		{scenarioFlags{update: "api", order: "start-first"}, nil, chaos.Options{Scenario: chaos.ScenarioUpdate, Service: "api", Order: "start-first"}},
		{scenarioFlags{leader: true}, nil, chaos.Options{Scenario: chaos.ScenarioStop, Leader: true}},
		{scenarioFlags{leader: true, kill: true}, nil, chaos.Options{Scenario: chaos.ScenarioKill, Leader: true}},
	}
	for _, tt := range tests {
		got, err := tt.flags.options(lab.Defaults(), tt.args)
		if err != nil || got != tt.want {
			t.Errorf("%+v %v: got %+v, %v; want %+v", tt.flags, tt.args, got, err, tt.want)
		}
	}
}

func TestScenarioFlagsThatMakeNone(t *testing.T) {
	tests := []struct {
		flags scenarioFlags
		args  []string
		want  string
	}{
		{scenarioFlags{drain: true}, nil, "name the node to drain"},
		{scenarioFlags{drain: true, kill: true}, []string{"worker01"}, "--drain takes a node"},
		{scenarioFlags{update: "api"}, []string{"worker01"}, "--update takes a service"},
		{scenarioFlags{update: "api", leader: true}, nil, "--update takes a service"},
		{scenarioFlags{leader: true}, []string{"manager"}, "--leader finds the node itself"},
		{scenarioFlags{order: "start-first"}, nil, "--order is start-first or stop-first, with --update"},
		{scenarioFlags{update: "api", order: "first"}, nil, "--order is start-first or stop-first"},
	}
	for _, tt := range tests {
		_, err := tt.flags.options(lab.Defaults(), tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) || cli.HintOf(err) == "" {
			t.Errorf("%+v %v: got %v (hint %q), want %q with a hint", tt.flags, tt.args, err, cli.HintOf(err), tt.want)
		}
	}
}
