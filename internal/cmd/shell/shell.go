package shell

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// NewCommand returns the shell command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	return &cobra.Command{
		Use:     "shell NODE",
		Short:   "Open a shell in a node (manager, worker01, ...), where 'docker ...' talks to that node",
		Example: "  swarmlab shell manager\n  echo 'docker node ls' | swarmlab shell manager",
		Args:    cobra.ExactArgs(1),
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, args []string, l *lab.Lab) error {
			id, err := l.RunningContainer(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			argv := []string{"sh", "-c", "exec bash 2>/dev/null || exec sh"}
			return cli.ExitStatus(docker.ExecInteractive(cmd.Context(), l.Engine, id, argv, streams.In, streams.Out, streams.Err))
		}),
	}
}
