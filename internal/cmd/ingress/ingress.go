// Package ingress is the "swarmlab ingress" command: the swarm-aware load
// balancer that succeeds dockercloud/haproxy.
package ingress

import (
	"log/slog"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/ingress"
)

// flagEnv maps each flag to the environment variable it overrides.
var flagEnv = map[string]string{
	"listen":          "LISTEN_ADDR",
	"stats-port":      "STATS_PORT",
	"stats-auth":      "STATS_AUTH",
	"resync-interval": "RESYNC_INTERVAL",
	"access-log":      "ACCESS_LOG",
	"static-backends": "STATIC_BACKENDS",
	"networks":        "INGRESS_NETWORKS",
	"connect-timeout": "CONNECT_TIMEOUT",
	"read-timeout":    "READ_TIMEOUT",
	"idle-timeout":    "IDLE_TIMEOUT",
	"client-timeout":  "CLIENT_TIMEOUT",
	"write-timeout":   "WRITE_TIMEOUT",
	"drain-timeout":   "DRAIN_TIMEOUT",
	"hedge-delay":     "HEDGE_DELAY",
	"unacked-timeout": "UNACKED_TIMEOUT",
	"tunnel-timeout":  "TUNNEL_TIMEOUT",
}

// NewCommand returns the ingress command.
func NewCommand(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingress",
		Short: "Run the swarm-aware load balancer (successor to dockercloud/haproxy)",
		Long: `Run the swarm-aware load balancer. It finds services with SERVICE_PORTS (and
optionally VIRTUAL_HOST, BALANCE, HEALTH_CHECK, EXCLUDE_PORTS) through the
Docker socket, routes to their task IPs on the networks it shares with them,
and serves a stats page with Prometheus metrics on STATS_PORT. See
docs/ingress.md for every setting.

Environment (each has a flag that overrides it):
  LISTEN_ADDR       address to serve on (default :80)
  STATS_PORT        stats page, /stats.json and /metrics (default 1936; 0 disables)
  STATS_AUTH        user:password for the stats port (default stats:stats)
  RESYNC_INTERVAL   how often services and tasks are listed (default 1s)
  ACCESS_LOG        true or false (default true)
  STATIC_BACKENDS   skip discovery; route everything to these host:port (comma list)
  INGRESS_NETWORKS  networks to route on instead of the ingress's own
  CONNECT_TIMEOUT, READ_TIMEOUT, IDLE_TIMEOUT, CLIENT_TIMEOUT, WRITE_TIMEOUT, DRAIN_TIMEOUT
  HEDGE_DELAY       race a backend connect still pending after this (default auto)
  UNACKED_TIMEOUT   drop a backend connection whose bytes go unacknowledged (default 100ms)
  TUNNEL_TIMEOUT    close a WebSocket idle both ways this long (default 1h)`,
		Args: cobra.NoArgs,
	}
	getenv := cli.EnvFlags(cmd, flagEnv)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := ingress.FromEnv(getenv)
		if err != nil {
			return cli.WithHint(err, "fix the setting above (swarmlab ingress --help lists them)")
		}
		ctx, stop := cli.SignalContext(cmd)
		defer stop()
		var api ingress.DockerAPI
		if len(cfg.StaticBackends) == 0 {
			c, err := ingress.NewDockerClient()
			if err != nil {
				return cli.WithHint(err, "mount /var/run/docker.sock into the ingress, or set STATIC_BACKENDS")
			}
			defer c.Close()
			api = c
		}
		s, err := ingress.New(cfg, logger.WithGroup("ingress"), streams.Out, api)
		if err != nil {
			return err
		}
		// CPU_PROFILE=FILE profiles until shutdown: bench/proxy.sh uses it.
		if path := os.Getenv("CPU_PROFILE"); path != "" {
			f, err := os.Create(path)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		return s.Run(ctx)
	}
	return cmd
}
