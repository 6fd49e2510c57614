package cmd

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/api"
	"github.com/swarmlab/swarmlab/internal/cmd/edge"
	"github.com/swarmlab/swarmlab/internal/cmd/ingress"
	"github.com/swarmlab/swarmlab/internal/cmd/kernelprobe"
	"github.com/swarmlab/swarmlab/internal/cmd/probe"
	"github.com/swarmlab/swarmlab/internal/cmd/proxy"
	"github.com/swarmlab/swarmlab/internal/cmd/registry"
	"github.com/swarmlab/swarmlab/internal/cmd/visualizer"
)

// addServers adds the in-container servers, each run as a subcommand of the
// one binary that every lab image ships.
func addServers(root *cobra.Command, logger *slog.Logger, streams cli.Streams) {
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
	root.AddCommand(probe.NewCommand(logger, streams), kernelprobe.NewCommand(logger, streams))
}
