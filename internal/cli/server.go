package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// EnvFlags gives a server command one string flag per environment variable
// (flag name → variable) and returns a getenv in which a flag that was set
// wins over the environment. Servers read their settings from the
// environment, as in the tutorial's stack files; flags are for running them
// by hand.
func EnvFlags(cmd *cobra.Command, flagEnv map[string]string) func(string) string {
	f := cmd.Flags()
	for name, env := range flagEnv {
		f.String(name, "", "overrides "+env)
	}
	return func(key string) string {
		for name, env := range flagEnv {
			if env == key && f.Changed(name) {
				v, _ := f.GetString(name)
				return v
			}
		}
		return os.Getenv(key)
	}
}

// SignalContext is the command's context, also cancelled by SIGINT and
// SIGTERM, which starts a server's drain (see internal/serve). A server in a
// scratch image is PID 1, which gets no default signal handling: without
// this, docker's SIGTERM would be ignored and the task killed after its
// grace period with requests in flight.
func SignalContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}
