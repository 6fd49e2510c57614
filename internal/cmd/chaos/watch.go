package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/chaos"
	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// Options are the flags chaos shares with 'node stop --watch'.
type Options struct {
	Force   bool          // stop even the only running manager
	JSON    bool          // print the failover as JSON instead of a timeline
	Timeout time.Duration // how long to wait for the swarm to converge
}

// AddFlags adds --force, --json and --timeout to c; prefix starts the
// usage of the last two (node stop has them only with --watch).
func (o *Options) AddFlags(c *cobra.Command, prefix string) {
	c.Flags().BoolVar(&o.Force, "force", false, "stop even the only running manager")
	c.Flags().BoolVar(&o.JSON, "json", false, prefix+"print the timeline and the request loop's phases as JSON (durations in nanoseconds)")
	c.Flags().DurationVar(&o.Timeout, "timeout", 2*time.Minute, prefix+"how long to wait for the swarm to converge")
}

// Watch stops node and prints the failover as it happens: 'node stop
// NODE --watch'.
func Watch(ctx context.Context, l *lab.Lab, node string, o Options, out io.Writer) error {
	return Run(ctx, l, chaos.Options{Scenario: chaos.ScenarioStop, Node: node, Force: o.Force, Timeout: o.Timeout}, o.JSON, out)
}

// Run does what co says and prints the timeline as it happens, then the
// request loop's phases, a summary and what to do next (or all of it as
// JSON).
func Run(ctx context.Context, l *lab.Lab, co chaos.Options, asJSON bool, out io.Writer) error {
	// The timeline is the output; step lines would only interleave with it.
	l.Status = cli.NewStatus(io.Discard, true)
	report := func(e chaos.Event) {
		if !asJSON {
			fmt.Fprintf(out, "  %+6.1fs  %s\n", e.At.Seconds(), e.What)
		}
	}
	f, err := chaos.Run(ctx, l, co, report)
	if asJSON {
		if jerr := json.NewEncoder(out).Encode(f); jerr != nil {
			return jerr
		}
		return err
	}
	if len(f.Events) > 0 {
		fmt.Fprintln(out)
		f.WriteTable(out)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nSummary: %s\n%s\n", f, next(l.Config, f))
	return nil
}

// next says how to undo the event, or what to try after it.
func next(cfg lab.Config, f chaos.Failover) string {
	switch f.Scenario {
	case chaos.ScenarioDrain:
		return fmt.Sprintf("%s stays drained: swarm runs nothing there. Make it active again with\n%s; swarm moves no task back by itself\n(%s spreads a service again).", f.Node, cfg.Cmd("docker node update --availability active "+f.Node), cfg.Cmd("docker service update --force swtest_api"))
	case chaos.ScenarioUpdate:
		other := chaos.OrderStartFirst
		if f.Update.Order == chaos.OrderStartFirst {
			other = chaos.OrderStopFirst
		}
		return fmt.Sprintf("Try the other order with %s (it stays the service's\nupdate order until its stack is deployed again).", cfg.Cmd("chaos --update "+f.Service+" --order "+other))
	}
	return fmt.Sprintf("Bring it back with %s.", cfg.Cmd("node start "+f.Node+" --rebalance"))
}
