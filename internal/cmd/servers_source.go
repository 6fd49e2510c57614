//go:build !dist

package cmd

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/servers"
)

// addServers: built from source, swarmlab carries the servers and ships
// itself in the lab's images (internal/payload.SelfServes).
func addServers(root *cobra.Command, logger *slog.Logger, streams cli.Streams) {
	servers.Add(root, logger, streams)
}
