package down

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// NewCommand returns the down command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	var purge bool
	c := &cobra.Command{
		Use:   "down",
		Short: "Remove the lab's nodes, volumes and network; the registry's images, and the images swarmlab built on the engine, stay unless --purge",
		Args:  cobra.NoArgs,
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, args []string, l *lab.Lab) error {
			if err := l.Down(cmd.Context(), purge); err != nil || !purge {
				return err
			}
			return l.RemoveBuiltImages(cmd.Context())
		}),
	}
	c.Flags().BoolVar(&purge, "purge", false, "also remove the registry's data, and the images swarmlab built on the engine when no other lab uses them")
	return c
}
