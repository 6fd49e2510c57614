package chaos

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// DefaultNode is stopped when none is named, as the tutorial stops worker01.
const DefaultNode = "worker01"

// NewCommand returns the chaos command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	var o Options
	c := &cobra.Command{
		Use:   "chaos [NODE]",
		Short: "Stop a node (default worker01) and watch the swarm heal: 'node stop NODE --watch'",
		Example: `  swarmlab chaos                 # stops worker01
  swarmlab chaos manager --json  # in a lab made with 'up --managers 3'`,
		Args: cobra.MaximumNArgs(1),
	}
	c.RunE = lf.RunE(logger, streams, func(cmd *cobra.Command, args []string, l *lab.Lab) error {
		node := DefaultNode
		if len(args) == 1 {
			node = args[0]
		}
		return Watch(cmd.Context(), l, node, o, streams.Out)
	})
	o.AddFlags(c, "")
	return c
}
