package api

import (
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/api"
	"github.com/swarmlab/swarmlab/internal/cli"
)

type flags struct {
	addr            string
	shutdownTimeout time.Duration
	drainDelay      time.Duration
}

// NewCommand returns the `api` command.
func NewCommand(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	var f flags
	cmd := &cobra.Command{
		Use:   "api",
		Short: "Run the tutorial's demo API (image swtest/api)",
		Long: `Run the tutorial's demo API on :8080.

  GET /          "The API service is running..."
  GET /api/info  which replica answered: hostname, node, service, slot, requests
  GET /healthz   200 while serving, 503 while draining

Environment: PORT, SHUTDOWN_TIMEOUT, DRAIN_DELAY, ACCESS_LOG, and
SWARM_NODE, SWARM_SERVICE, SWARM_TASK_SLOT, SWARM_TASK_NAME, which the stack
file sets from {{.Node.Hostname}}, {{.Service.Name}}, {{.Task.Slot}} and
{{.Task.Name}}. Flags override the environment.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runE(cmd, logger, f)
		},
	}
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.Err)
	cmd.Flags().StringVar(&f.addr, "addr", ":8080", "address to listen on (default from $PORT)")
	cmd.Flags().DurationVar(&f.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to wait for in-flight requests when stopping")
	cmd.Flags().DurationVar(&f.drainDelay, "drain-delay", 0, "how long to answer 503 on /healthz before closing the listener")
	return cmd
}

func runE(cmd *cobra.Command, logger *slog.Logger, f flags) error {
	cfg, err := api.FromEnv(os.Getenv)
	if err != nil {
		return cli.WithHint(err, "fix the environment variables above, or unset them to take the defaults")
	}
	if cmd.Flags().Changed("addr") {
		cfg.Addr = f.addr
	}
	if cmd.Flags().Changed("shutdown-timeout") {
		cfg.ShutdownTimeout = f.shutdownTimeout
	}
	if cmd.Flags().Changed("drain-delay") {
		cfg.DrainDelay = f.drainDelay
	}
	if err := cfg.Validate(); err != nil {
		return cli.WithHint(err, "swarmlab api --help")
	}

	ctx, stop := cli.SignalContext(cmd)
	defer stop()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return api.New(cfg, logger.With("component", "api")).Run(ctx)
}
