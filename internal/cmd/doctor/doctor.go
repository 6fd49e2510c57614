package doctor

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/checks"
	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// NewCommand returns the doctor command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check the Docker engine and kernel, and say what will and will not work",
		Args:  cobra.NoArgs,
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, args []string, l *lab.Lab) error {
			found := checks.Doctor(cmd.Context(), l)
			failed := 0
			marks := cli.MarksFor(streams.Out)
			for _, c := range found {
				mark := marks.Mark(cli.Pass)
				switch c.Level {
				case checks.CheckWarn:
					mark = marks.Mark(cli.Warn)
				case checks.CheckFail:
					mark, failed = marks.Mark(cli.Fail), failed+1
				}
				fmt.Fprintf(streams.Out, " %s %s: %s\n", mark, c.Name, c.Result)
				for _, line := range c.Advice {
					fmt.Fprintf(streams.Out, "     %s\n", line)
				}
			}
			if failed > 0 {
				return &cli.ExitError{Code: 1}
			}
			return nil
		}),
	}
}
