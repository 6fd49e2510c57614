package edge

import (
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/edge"
)

// NewCommand returns the edge command.
func NewCommand(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	var cfg edge.Config
	var targets string
	c := &cobra.Command{
		Use:   "edge",
		Short: "Forward the lab's host ports to whichever manager is up (labs with several managers)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, t := range strings.Split(targets, ",") {
				if t = strings.TrimSpace(t); t != "" {
					cfg.Targets = append(cfg.Targets, t)
				}
			}
			if err := cfg.Validate(); err != nil {
				return cli.WithHint(err, "swarmlab edge --port 80 --targets manager,manager02,manager03")
			}
			ctx, stop := cli.SignalContext(cmd)
			defer stop()
			return edge.New(cfg, logger.WithGroup("edge")).Run(ctx)
		},
	}
	c.Flags().IntSliceVar(&cfg.Ports, "port", nil, "port to listen on and forward to the same port of a target (repeatable)")
	c.Flags().StringVar(&targets, "targets", "", "hosts to forward to, in order of preference (comma list)")
	return c
}
