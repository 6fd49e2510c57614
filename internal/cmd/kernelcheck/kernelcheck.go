package kernelcheck

import (
	"encoding/json"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/kernel"
	"github.com/swarmlab/swarmlab/internal/kernel/ipvscheck"
)

// NewCommand returns the kernel-check command.
func NewCommand(_ *slog.Logger, streams cli.Streams) *cobra.Command {
	return &cobra.Command{
		Use:    kernel.CheckCommand,
		Short:  "Ask this kernel whether it can do IPVS (loading ip_vs if it is a module) and print JSON",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return json.NewEncoder(streams.Out).Encode(ipvscheck.Check())
		},
	}
}
