package registry

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/registry"
)

type flags struct {
	addr string
	data string
}

// NewCommand returns the `registry` command.
func NewCommand(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	var f flags
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Run the lab's image registry (Registry API v2, CNCF distribution's storage)",
		Long: `Run the lab's image registry: the Registry HTTP API v2 that docker push
and pull speak, over CNCF distribution's storage, with its data on the
filesystem and deletes enabled, over plain HTTP.

The lab's nodes reach it as registry:5000, the host as 127.0.0.1:5000.
Environment: REGISTRY_ADDR (default :5000) and REGISTRY_DATA (default
/var/lib/registry); flags override them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runE(cmd, logger, f)
		},
	}
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.Err)
	cmd.Flags().StringVar(&f.addr, "addr", ":5000", "address to listen on (default from $"+registry.EnvAddr+")")
	cmd.Flags().StringVar(&f.data, "data", "/var/lib/registry", "directory for blobs and manifests (default from $"+registry.EnvData+")")
	return cmd
}

func runE(cmd *cobra.Command, logger *slog.Logger, f flags) error {
	cfg, err := registry.FromEnv(os.Getenv)
	if err != nil {
		return cli.WithHint(err, "fix the environment variables above, or unset them to take the defaults")
	}
	if cmd.Flags().Changed("addr") {
		cfg.Addr = f.addr
	}
	if cmd.Flags().Changed("data") {
		cfg.DataDir = f.data
	}
	if err := cfg.Validate(); err != nil {
		return cli.WithHint(err, "swarmlab registry --help")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, stop := cli.SignalContext(cmd)
	defer stop()
	return registry.Run(ctx, cfg, logger.With("component", "registry"))
}
