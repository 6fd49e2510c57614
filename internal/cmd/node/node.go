// Package node implements 'swarmlab node stop|start NAME': stop or start one
// node container, as the tutorial stops worker01 from Docker's dashboard.
package node

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
)

// NewCommand returns the node command.
func NewCommand(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "node",
		Short: "Stop or start one node",
	}
	var force bool
	stop := &cobra.Command{
		Use:     "stop NAME",
		Short:   "Stop a node's container; swarm reschedules its tasks on the other nodes",
		Example: "  swarmlab node stop worker01",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := labflags.LoadConfig(cmd)
			if err != nil {
				return err
			}
			l, err := labflags.Open(cmd, cfg, logger, streams)
			if err != nil {
				return err
			}
			defer l.Engine.Close()
			return l.NodeStop(cmd.Context(), args[0], force)
		},
	}
	stop.Flags().BoolVar(&force, "force", false, "stop even the only running manager")
	start := &cobra.Command{
		Use:   "start NAME",
		Short: "Start a stopped node's container again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := labflags.LoadConfig(cmd)
			if err != nil {
				return err
			}
			l, err := labflags.Open(cmd, cfg, logger, streams)
			if err != nil {
				return err
			}
			defer l.Engine.Close()
			if err := l.NodeStart(cmd.Context(), args[0]); err != nil {
				return err
			}
			if !labflags.Shared.Quiet {
				fmt.Fprintln(streams.Out, "Swarm does not move tasks back by itself: new tasks go to", args[0], "only when services change or are scaled.")
			}
			return nil
		},
	}
	c.AddCommand(stop, start)
	return c
}
