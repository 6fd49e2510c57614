package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd"
)

// Main runs the CLI with the process's streams and exits with its status.
func Main() { exit(Run(cli.StdStreams(), os.Args[1:])) }

// MainWith runs another command tree as Main runs the CLI: swarmlab-server
// passes its own, so that the CLI's packages never import the servers.
func MainWith(newRoot func(*slog.Logger, cli.Streams) *cobra.Command) {
	exit(runRoot(cli.StdStreams(), os.Args[1:], newRoot))
}

func exit(err error) {
	if err != nil {
		var exit *cli.ExitError
		if errors.As(err, &exit) {
			os.Exit(exit.Code)
		}
		os.Exit(1)
	}
}

// Run runs one swarmlab command. It prints errors itself, with their hint.
func Run(streams cli.Streams, args []string) error { return runRoot(streams, args, cmd.NewRoot) }

func runRoot(streams cli.Streams, args []string, newRoot func(*slog.Logger, cli.Streams) *cobra.Command) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(streams.Err, &slog.HandlerOptions{Level: slog.LevelInfo}))
	root := newRoot(logger, streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		var exit *cli.ExitError
		if !errors.As(err, &exit) {
			fmt.Fprintf(streams.Err, "Error: %v\n", err)
			if hint := cli.HintOf(err); hint != "" {
				fmt.Fprintf(streams.Err, "Try:   %s\n", hint)
			}
		}
	}
	return err
}
