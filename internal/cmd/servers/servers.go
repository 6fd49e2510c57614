package servers

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/api"
	"github.com/swarmlab/swarmlab/internal/cmd/edge"
	"github.com/swarmlab/swarmlab/internal/cmd/ingress"
	"github.com/swarmlab/swarmlab/internal/cmd/kernelcheck"
	"github.com/swarmlab/swarmlab/internal/cmd/probe"
	"github.com/swarmlab/swarmlab/internal/cmd/proxy"
	"github.com/swarmlab/swarmlab/internal/cmd/registry"
	"github.com/swarmlab/swarmlab/internal/cmd/visualizer"
	"github.com/swarmlab/swarmlab/internal/version"
)

// Add adds the servers to root, in a group of their own. A command the lab
// runs in its images, even a hidden one, belongs here, so that both
// binaries have it.
func Add(root *cobra.Command, logger *slog.Logger, streams cli.Streams) {
	root.AddGroup(&cobra.Group{ID: "servers", Title: "Servers run inside the lab's images:"})
	for _, c := range []*cobra.Command{
		registry.NewCommand(logger, streams),
		api.NewCommand(logger, streams),
		proxy.NewCommand(logger, streams),
		ingress.NewCommand(logger, streams),
		visualizer.NewCommand(logger, streams),
		edge.NewCommand(logger, streams),
	} {
		c.GroupID = "servers"
		root.AddCommand(c)
	}
	// Also a user command of the CLI, which a release keeps on its own.
	root.AddCommand(probe.NewCommand(logger, streams))
	// Hidden: up and doctor run it in the base image to ask the engine's kernel.
	root.AddCommand(kernelcheck.NewCommand(logger, streams))
}

// NewRoot is swarmlab-server: the servers alone, under the name the images'
// entrypoints use (/swarmlab SUBCOMMAND).
func NewRoot(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "swarmlab",
		Short:         "The servers run inside swarmlab's images",
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	Add(root, logger, streams)
	return root
}
