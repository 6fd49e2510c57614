package visualizer

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	viz "github.com/swarmlab/swarmlab/internal/visualizer"
)

type flags struct {
	demo bool
}

// NewCommand returns the "visualizer" command.
func NewCommand(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "visualizer",
		Short: "Serve a live web page of the swarm's nodes and tasks",
		Long: `Serve a live web page of the swarm: one column per node with the tasks it runs.

It reads the swarm from the Docker engine of a manager (DOCKER_HOST, default
the local socket), read-only, and is configured by the environment:
  PORT              port to listen on (default 8080)
  CTX_ROOT          URL prefix when served behind a proxy, such as /viz
  RESYNC_INTERVAL   how often the swarm is re-read, up to 1s (default 1s)
  VISUALIZER_DEMO   1 to serve a made-up changing swarm instead (same as --demo)
  VISUALIZER_HOSTS  host names the page may be opened by besides addresses and
                    localhost, comma-separated (default none)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := cli.SignalContext(cmd)
			defer stop()
			return runE(ctx, logger, streams, f, os.Getenv)
		},
	}
	cmd.Flags().BoolVar(&f.demo, "demo", false, "serve a made-up changing swarm, to see the page without Docker")
	return cmd
}

func runE(ctx context.Context, logger *slog.Logger, streams cli.Streams, f *flags, getenv func(string) string) error {
	env, err := viz.FromEnv(getenv)
	if err != nil {
		return cli.WithHint(err, "fix the environment variable, or unset it to use the default")
	}

	logger = logger.WithGroup("visualizer")
	var src viz.Source
	if f.demo || env.Demo {
		mem := viz.NewMemorySource(viz.State{})
		go viz.RunDemo(ctx, mem)
		src = mem
		fmt.Fprintln(streams.Err, "visualizer: demo mode, showing a made-up swarm")
	} else {
		c, err := viz.NewDockerClient()
		if err != nil {
			return cli.WithHint(err, "check DOCKER_HOST, or mount /var/run/docker.sock into the container")
		}
		defer c.Close()
		src = viz.NewDockerSource(c, logger)
	}
	srv, err := viz.New(viz.Config{
		Source:   src,
		BasePath: env.BasePath,
		Resync:   env.Resync,
		Logger:   logger,
		Hosts:    env.Hosts,
	})
	if err != nil {
		return cli.WithHint(err, "check CTX_ROOT and RESYNC_INTERVAL")
	}
	fmt.Fprintf(streams.Err, "visualizer: serving http://%s%s/\n", displayAddr(env.Addr), srv.BasePath())
	return srv.ListenAndServe(ctx, env.Addr)
}

func displayAddr(addr string) string {
	if len(addr) > 0 && addr[0] == ':' {
		return "0.0.0.0" + addr
	}
	return addr
}
