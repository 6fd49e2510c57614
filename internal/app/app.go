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
)

// NewRoot makes a command tree: the CLI's (cmd.NewRoot) or the servers'
// (servers.NewRoot). app imports neither, so that swarmlab-server, which
// the lab's images carry, links none of the CLI.
type NewRoot func(*slog.Logger, cli.Streams) *cobra.Command

// Main runs a command tree with the process's streams and arguments, and
// exits with its status.
func Main(newRoot NewRoot) { exit(Run(cli.StdStreams(), os.Args[1:], newRoot)) }

func exit(err error) {
	if err != nil {
		var exit *cli.ExitError
		if errors.As(err, &exit) {
			os.Exit(exit.Code)
		}
		os.Exit(1)
	}
}

// Run runs one command of the tree. It prints errors itself, with their hint.
func Run(streams cli.Streams, args []string, newRoot NewRoot) error {
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
