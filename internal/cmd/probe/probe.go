package probe

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/probe"
)

// NewCommand returns the probe command.
func NewCommand(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	o := probe.Options{}
	var asJSON bool
	c := &cobra.Command{
		Use:   "probe URL",
		Short: "Send a bounded loop of requests: replicas, failures, latency and connect times",
		Example: `  swarmlab probe http://127.0.0.1:8000/api/info --count 30
  # from inside the overlay network:
  swarmlab docker run --rm --network swtest_net --entrypoint /swarmlab registry:5000/swtest/api probe http://swtest_nginx/api/info
  # the overlay's round trip: one TCP connect per request to an api task
  swarmlab docker run --rm --network swtest_net --entrypoint /swarmlab registry:5000/swtest/api probe http://tasks.swtest_api:8080/api/info -n 500 --no-keepalive`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.URL = args[0]
			if o.Count == 0 && o.Duration == 0 {
				o.Count = 10
			}
			res, err := probe.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(streams.Out).Encode(res)
			}
			fmt.Fprintln(streams.Out, res)
			for _, e := range res.Errors {
				fmt.Fprintln(streams.Out, "  error:", e)
			}
			if res.Failures > 0 {
				return &cli.ExitError{Code: 1}
			}
			return nil
		},
	}
	f := c.Flags()
	f.IntVarP(&o.Count, "count", "n", 0, "requests to send (default 10 when no --duration)")
	f.DurationVarP(&o.Duration, "duration", "d", 0, "how long to send requests")
	f.DurationVar(&o.Interval, "interval", 0, "pause between requests of one worker")
	f.IntVarP(&o.Concurrency, "concurrency", "c", 1, "parallel workers")
	f.DurationVar(&o.Timeout, "timeout", 5*time.Second, "per request")
	f.BoolVar(&o.NoKeepAlive, "no-keepalive", false, "a new connection per request, so that every TCP connect is timed")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON (durations in nanoseconds)")
	return c
}
