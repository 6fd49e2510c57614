package node

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	labchaos "github.com/swarmlab/swarmlab/internal/chaos"
	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/chaos"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// NewCommand returns the node command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	c := &cobra.Command{
		Use:   "node",
		Short: "Stop or start one node",
	}
	c.AddCommand(nodeStop(logger, streams, lf), nodeStart(logger, streams, lf))
	return c
}

func nodeStop(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	var watch bool
	var o chaos.Options
	c := &cobra.Command{
		Use:   "stop NAME",
		Short: "Stop a node's container; swarm reschedules its tasks on the other nodes",
		Example: `  swarmlab node stop worker01
  swarmlab node stop worker01 --watch   # live timeline until the swarm has healed`,
		Args: cobra.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !watch {
				return cli.WithHint(errors.New("name the node to stop"), "swarmlab node stop worker01")
			}
			return lf.Run(cmd, logger, streams, nil, func(l *lab.Lab) error {
				if !watch {
					return l.NodeStop(cmd.Context(), args[0], o.Force)
				}
				node := chaos.DefaultNode
				if len(args) == 1 {
					node = args[0]
				}
				return chaos.Watch(cmd.Context(), l, node, o, streams.Out)
			})
		},
	}
	c.Flags().BoolVarP(&watch, "watch", "w", false, "print a live timeline until the swarm has converged, with a request loop through the ingress")
	o.AddFlags(c, "with --watch, ")
	return c
}

func nodeStart(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	var rebalance bool
	c := &cobra.Command{
		Use:   "start NAME",
		Short: "Start a stopped node's container again",
		Args:  cobra.ExactArgs(1),
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, args []string, l *lab.Lab) error {
			if err := l.NodeStart(cmd.Context(), args[0]); err != nil {
				return err
			}
			if err := l.WaitReady(cmd.Context(), lab.ReadyPatience); err != nil {
				return err
			}
			if rebalance {
				return labchaos.Rebalance(cmd.Context(), l)
			}
			if !lf.Quiet {
				fmt.Fprintln(streams.Out, "Swarm does not move tasks back by itself: new tasks go to", args[0], "only when services change or are scaled.\nSpread them again with "+l.Config.Cmd("node start "+args[0]+" --rebalance")+" (docker service update --force per service).")
			}
			return nil
		}),
	}
	c.Flags().BoolVar(&rebalance, "rebalance", false, "then spread tasks again ('docker service update --force' per service)")
	return c
}
