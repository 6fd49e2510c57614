package verify

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/checks"
	"github.com/swarmlab/swarmlab/internal/class/learner"
	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// NewCommand returns the verify command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "verify",
		Short: "Check the tutorial's goals on the running lab; exits non-zero with what is wrong",
		Args:  cobra.NoArgs,
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, args []string, l *lab.Lab) error {
			goals := checks.Verify(cmd.Context(), l)
			learner.Verified(cmd.Context(), goals) // in a class: the teacher sees the last verify
			failed := 0
			for _, g := range goals {
				if !g.OK {
					failed++
				}
			}
			if asJSON {
				if err := json.NewEncoder(streams.Out).Encode(map[string]any{"ok": failed == 0, "checks": goals}); err != nil {
					return err
				}
			} else {
				marks := cli.MarksFor(streams.Out)
				for _, g := range goals {
					fmt.Fprintf(streams.Out, " %s %s: %s\n", marks.OK(g.OK), g.Name, g.Detail)
					if g.Hint != "" {
						fmt.Fprintf(streams.Out, "     Try: %s\n", g.Hint)
					}
				}
				if failed > 0 {
					fmt.Fprintf(streams.Out, "\n%d of %d checks failed.\n", failed, len(goals))
				} else {
					fmt.Fprintf(streams.Out, "\nAll %d checks passed.\n", len(goals))
				}
			}
			if failed > 0 {
				return &cli.ExitError{Code: 1}
			}
			return nil
		}),
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the checks as JSON")
	return c
}
