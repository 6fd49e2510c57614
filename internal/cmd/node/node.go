// Package node implements 'swarmlab node stop|start NAME': stop or start one
// node container, as the tutorial stops worker01 from Docker's dashboard.
package node

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// NewCommand returns the node command.
func NewCommand(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "node",
		Short: "Stop or start one node",
	}
	stop := NewStopCommand(logger, streams, "stop NAME")
	var rebalance bool
	start := &cobra.Command{
		Use:   "start NAME",
		Short: "Start a stopped node's container again",
		Args:  cobra.ExactArgs(1),
		RunE: labflags.RunE(logger, streams, func(cmd *cobra.Command, args []string, l *lab.Lab) error {
			if err := l.NodeStart(cmd.Context(), args[0]); err != nil {
				return err
			}
			if err := l.WaitReady(cmd.Context(), 2*time.Minute); err != nil {
				return err
			}
			if rebalance {
				return l.Rebalance(cmd.Context())
			}
			if !labflags.Shared.Quiet {
				fmt.Fprintln(streams.Out, "Swarm does not move tasks back by itself: new tasks go to", args[0], "only when services change or are scaled.\nSpread them again with 'swarmlab node start "+args[0]+" --rebalance' (docker service update --force per service).")
			}
			return nil
		}),
	}
	start.Flags().BoolVar(&rebalance, "rebalance", false, "then spread tasks again ('docker service update --force' per service)")
	c.AddCommand(stop, start)
	return c
}

// NewStopCommand returns 'node stop', also offered as 'swarmlab chaos'.
func NewStopCommand(logger *slog.Logger, streams cli.Streams, use string) *cobra.Command {
	var force, watch, asJSON bool
	var timeout time.Duration
	c := &cobra.Command{
		Use:   use,
		Short: "Stop a node's container; swarm reschedules its tasks on the other nodes",
		Example: `  swarmlab node stop worker01
  swarmlab node stop worker01 --watch   # live timeline until the swarm has healed`,
		Args: cobra.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			node := "worker01"
			if len(args) == 1 {
				node = args[0]
			} else if !watch {
				return cli.Hintf("swarmlab node stop worker01", "name the node to stop")
			}
			cfg, err := labflags.LoadConfig(cmd)
			if err != nil {
				return err
			}
			l, err := labflags.Open(cmd, cfg, logger, streams)
			if err != nil {
				return err
			}
			defer l.Engine.Close()
			if !watch {
				return l.NodeStop(cmd.Context(), node, force)
			}
			// The timeline is the output; step lines would only interleave with it.
			l.Status = cli.NewStatus(io.Discard, true)
			report := func(e lab.Event) {
				if !asJSON {
					fmt.Fprintf(streams.Out, "  +%5.1fs  %s\n", e.At.Seconds(), e.What)
				}
			}
			f, err := l.StopAndWatch(cmd.Context(), node, force, timeout, report)
			if asJSON {
				if jerr := json.NewEncoder(streams.Out).Encode(f); jerr != nil {
					return jerr
				}
			} else if err == nil {
				fmt.Fprintf(streams.Out, "\nSummary: %s\nBring it back with 'swarmlab node start %s'.\n", f, node)
			}
			return err
		},
	}
	c.Flags().BoolVar(&force, "force", false, "stop even the only running manager")
	c.Flags().BoolVarP(&watch, "watch", "w", false, "print a live timeline until the swarm has converged, with a request loop through the ingress")
	c.Flags().BoolVar(&asJSON, "json", false, "with --watch, print the timeline as JSON")
	c.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "with --watch, how long to wait for the swarm to converge")
	return c
}

// NewChaosCommand returns 'swarmlab chaos [NODE]': stop a node and watch.
func NewChaosCommand(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	c := NewStopCommand(logger, streams, "chaos [NODE]")
	c.Short = "Stop a node (default worker01) and watch the swarm heal: 'node stop NODE --watch'"
	_ = c.Flags().Set("watch", "true")
	return c
}
