package lifecycle

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
	labup "github.com/swarmlab/swarmlab/internal/up"
)

// NewStopCommand returns the stop command.
func NewStopCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	return &cobra.Command{
		Use:   "stop",
		Short: "Stop every lab container; 'swarmlab start' brings the lab back as it was",
		Args:  cobra.NoArgs,
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, _ []string, l *lab.Lab) error {
			return l.Stop(cmd.Context())
		}),
	}
}

// NewStartCommand returns the start command.
func NewStartCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	return &cobra.Command{
		Use:   "start",
		Short: "Start a stopped lab and wait until every node is Ready",
		Args:  cobra.NoArgs,
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, _ []string, l *lab.Lab) error {
			return labup.Start(cmd.Context(), l)
		}),
	}
}
