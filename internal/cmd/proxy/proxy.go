// Package proxy is the "swarmlab proxy" command: the lab's nginx role.
package proxy

import (
	"log/slog"

	"github.com/spf13/cobra"
	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/proxy"
)

// flagEnv maps each flag to the environment variable it overrides.
var flagEnv = map[string]string{
	"backend":          "BACKEND_HOST",
	"port":             "SERVICE_PORTS",
	"connect-timeout":  "PROXY_CONNECT_TIMEOUT",
	"read-timeout":     "PROXY_READ_TIMEOUT",
	"idle-timeout":     "PROXY_IDLE_TIMEOUT",
	"resolve-interval": "RESOLVE_INTERVAL",
	"access-log":       "ACCESS_LOG",
	"hedge-delay":      "PROXY_HEDGE_DELAY",
	"unacked-timeout":  "PROXY_UNACKED_TIMEOUT",
	"tunnel-timeout":   "PROXY_TUNNEL_TIMEOUT",
}

// NewCommand returns the proxy command.
func NewCommand(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Run the reverse proxy in front of one service (the lab's nginx)",
		Long: `Run the reverse proxy in front of one service, configured like the tutorial's
nginx image. It balances over every task of BACKEND_HOST by resolving
tasks.<host> every RESOLVE_INTERVAL (falling back to <host>), retries failed
idempotent requests on another task, and logs nginx-style access lines.

Environment (each has a flag that overrides it):
  BACKEND_HOST           service and port to proxy to, e.g. swtest_api:8080 (required)
  SERVICE_PORTS          port to listen on (default 80)
  PROXY_CONNECT_TIMEOUT  backend connect timeout (default 1s)
  PROXY_READ_TIMEOUT     backend response header timeout (default 60s)
  PROXY_IDLE_TIMEOUT     keep-alive idle timeout (default 75s)
  RESOLVE_INTERVAL       DNS re-resolution interval (default 2s)
  ACCESS_LOG             true or false (default true)
  PROXY_HEDGE_DELAY      race a backend connect still pending after this (default auto)
  PROXY_UNACKED_TIMEOUT  drop a backend connection whose bytes go unacknowledged (default 100ms)
  PROXY_TUNNEL_TIMEOUT   close a WebSocket idle both ways this long (default 1h)`,
		Args: cobra.NoArgs,
	}
	getenv := cli.EnvFlags(cmd, flagEnv)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := proxy.FromEnv(getenv)
		if err != nil {
			return cli.WithHint(err, "fix the environment variable above (swarmlab proxy --help lists them)")
		}
		ctx, stop := cli.SignalContext(cmd)
		defer stop()
		p, err := proxy.New(cfg, logger.WithGroup("proxy"), streams.Out, nil)
		if err != nil {
			return err
		}
		return p.Run(ctx)
	}
	return cmd
}
