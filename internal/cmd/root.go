package cmd

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/buildcmd"
	"github.com/swarmlab/swarmlab/internal/cmd/chaos"
	"github.com/swarmlab/swarmlab/internal/cmd/class"
	"github.com/swarmlab/swarmlab/internal/cmd/deploy"
	"github.com/swarmlab/swarmlab/internal/cmd/dockercmd"
	"github.com/swarmlab/swarmlab/internal/cmd/doctor"
	"github.com/swarmlab/swarmlab/internal/cmd/down"
	"github.com/swarmlab/swarmlab/internal/cmd/images"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/cmd/lifecycle"
	"github.com/swarmlab/swarmlab/internal/cmd/node"
	"github.com/swarmlab/swarmlab/internal/cmd/open"
	"github.com/swarmlab/swarmlab/internal/cmd/shell"
	"github.com/swarmlab/swarmlab/internal/cmd/status"
	"github.com/swarmlab/swarmlab/internal/cmd/tutorial"
	"github.com/swarmlab/swarmlab/internal/cmd/up"
	"github.com/swarmlab/swarmlab/internal/cmd/verify"
	"github.com/swarmlab/swarmlab/internal/version"
)

// NewRoot returns the swarmlab command with every subcommand.
func NewRoot(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "swarmlab",
		Short: "A Docker Swarm study lab in one command",
		Long: `swarmlab builds the Docker Swarm lab of the study-group tutorial on your Docker engine:
a registry, a manager and three workers (Docker-in-Docker), the demo app
(proxy + api, three replicas each), a live visualizer and an ingress.

  swarmlab up        create the lab (again: repair it)
  swarmlab status    see the nodes and services
  swarmlab down      remove it (the registry's images stay)`,
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	// The lab commands share the root's flags, handed to each explicitly.
	lf := &labflags.Flags{Connect: labflags.Engine}
	lf.Register(root)
	for _, newCommand := range []func(*slog.Logger, cli.Streams, *labflags.Flags) *cobra.Command{
		up.NewCommand, down.NewCommand, status.NewCommand,
		lifecycle.NewStopCommand, lifecycle.NewStartCommand,
		shell.NewCommand, dockercmd.NewCommand, node.NewCommand, chaos.NewCommand,
		verify.NewCommand, doctor.NewCommand, buildcmd.NewCommand, images.NewCommand, deploy.NewCommand,
		tutorial.NewCommand, open.NewCommand, class.NewCommand,
	} {
		root.AddCommand(newCommand(logger, streams, lf))
	}
	addServers(root, logger, streams)
	return root
}
