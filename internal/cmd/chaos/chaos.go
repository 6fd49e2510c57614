package chaos

import (
	"errors"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/chaos"
	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// DefaultNode is stopped when none is named, as the tutorial stops worker01.
const DefaultNode = "worker01"

// scenarioFlags choose the scenario.
type scenarioFlags struct {
	kill, drain, leader bool
	update, order       string
}

// NewCommand returns the chaos command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	var o Options
	var s scenarioFlags
	c := &cobra.Command{
		Use:   "chaos [NODE]",
		Short: "Break the lab as real swarms break (stop, kill, drain, rolling update, Leader loss) and watch it heal under a request loop",
		Long: `chaos does one thing to the lab and follows the swarm, live, until it has
converged, while two clients send requests through the ingress (1s timeout).
At the end it shows the requests' latency (p50, p99, max) and failures
before, during and after the event.

  chaos [NODE]              docker stop NODE (default worker01): its engine stops its tasks first
  chaos NODE --kill         SIGKILL of NODE's container: no warning, as in a power loss
  chaos --drain NODE        docker node update --availability drain NODE (NODE stays drained)
  chaos --update SERVICE    docker service update --force SERVICE: a rolling update;
                            --order start-first|stop-first sets the service's update order first
  chaos --leader [--kill]   stop the Raft Leader, in a lab made with 'up --managers 3'`,
		Example: `  swarmlab chaos                                   # docker stop worker01
  swarmlab chaos worker02 --kill
  swarmlab chaos --drain worker01
  swarmlab chaos --update swtest_api --order start-first
  swarmlab chaos --leader --json`,
		Args: cobra.MaximumNArgs(1),
	}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		cfg, err := lf.LabConfig(cmd, nil)
		if err != nil {
			return err
		}
		co, err := s.options(cfg, args)
		if err != nil {
			return err // before reaching for the engine
		}
		co.Force, co.Timeout = o.Force, o.Timeout
		return lf.Run(cmd, logger, streams, nil, func(l *lab.Lab) error { return Run(cmd.Context(), l, co, o.JSON, streams.Out) })
	}
	f := c.Flags()
	f.BoolVar(&s.kill, "kill", false, "SIGKILL the node's container instead of stopping it: the power-loss case")
	f.BoolVar(&s.drain, "drain", false, "drain the node instead of stopping it")
	f.BoolVar(&s.leader, "leader", false, "stop (or with --kill, kill) the Raft Leader, whichever manager it is")
	f.StringVar(&s.update, "update", "", "force a rolling update of `SERVICE` (swtest_api, or api for short)")
	f.StringVar(&s.order, "order", "", "with --update, set the service's update order first: start-first or stop-first")
	o.AddFlags(c, "")
	return c
}

// options turns the flags and arguments into a scenario, refusing
// combinations that make none.
func (s scenarioFlags) options(cfg lab.Config, args []string) (chaos.Options, error) {
	o := chaos.Options{Scenario: chaos.ScenarioStop, Leader: s.leader, Service: s.update, Order: s.order}
	if len(args) == 1 {
		o.Node = args[0]
	}
	switch {
	case s.update != "":
		if s.kill || s.drain || s.leader || o.Node != "" {
			return o, cli.WithHint(errors.New("--update takes a service and no node, --kill, --drain or --leader"), cfg.Swarmlab("chaos --update swtest_api"))
		}
		o.Scenario = chaos.ScenarioUpdate
	case s.drain:
		if s.kill || s.leader {
			return o, cli.WithHint(errors.New("--drain takes a node and no --kill or --leader"), cfg.Swarmlab("chaos --drain worker01"))
		}
		o.Scenario = chaos.ScenarioDrain
	case s.leader && o.Node != "":
		return o, cli.WithHint(errors.New("--leader finds the node itself: name none"), cfg.Swarmlab("chaos --leader"))
	case s.kill:
		o.Scenario = chaos.ScenarioKill
	}
	if o.Node == "" && !s.leader && o.Scenario != chaos.ScenarioUpdate && o.Scenario != chaos.ScenarioDrain {
		o.Node = DefaultNode
	}
	return o, o.Validate(cfg)
}
