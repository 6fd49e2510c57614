// Package shell implements 'swarmlab shell NODE': a shell in a node, as when
// the tutorial opens a node's CLI.
package shell

import (
	"log/slog"
	"os"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// NewCommand returns the shell command.
func NewCommand(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	return &cobra.Command{
		Use:     "shell NODE",
		Short:   "Open a shell in a node (manager, worker01, ...), where 'docker ...' talks to that node",
		Example: "  swarmlab shell manager\n  echo 'docker node ls' | swarmlab shell manager",
		Args:    cobra.ExactArgs(1),
		RunE: labflags.RunE(logger, streams, func(cmd *cobra.Command, args []string, l *lab.Lab) error {
			id, err := l.RunningContainer(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return Exec(cmd, l, id, []string{"sh", "-c", "exec bash 2>/dev/null || exec sh"}, streams)
		}),
	}
}

// Exec runs argv in a container with the user's streams. On a terminal it
// hands over to 'docker exec -it' for a real TTY; otherwise it streams
// through the Engine API, so pipes and scripts work without a docker CLI.
func Exec(cmd *cobra.Command, l *lab.Lab, containerID string, argv []string, streams cli.Streams) error {
	if f, ok := streams.In.(*os.File); ok && cli.IsTerminal(f) && cli.IsTerminal(streams.Out) {
		if bin, err := exec.LookPath("docker"); err == nil {
			c := exec.CommandContext(cmd.Context(), bin, append([]string{"exec", "-it", containerID}, argv...)...)
			c.Stdin, c.Stdout, c.Stderr = streams.In, streams.Out, streams.Err
			if err := c.Run(); err != nil {
				if ee, ok := err.(*exec.ExitError); ok {
					return &cli.ExitError{Code: ee.ExitCode()}
				}
				return err
			}
			return nil
		}
	}
	code, err := docker.ExecStream(cmd.Context(), l.Engine, containerID, argv, streams.In, streams.Out, streams.Err)
	if err != nil {
		return err
	}
	if code != 0 {
		return &cli.ExitError{Code: code}
	}
	return nil
}
