//go:build dist

package cmd

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/probe"
)

// addServers: a release embeds swarmlab-server for both architectures
// (internal/payload) and leaves the servers, and the registry's many
// dependencies, out of the CLI. probe stays: it is a user command too.
func addServers(root *cobra.Command, logger *slog.Logger, streams cli.Streams) {
	root.AddCommand(probe.NewCommand(logger, streams))
}
