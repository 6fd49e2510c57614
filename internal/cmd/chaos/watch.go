package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// Options tune Watch.
type Options struct {
	Force   bool          // stop even the only running manager
	JSON    bool          // print the failover as JSON instead of a timeline
	Timeout time.Duration // how long to wait for the swarm to converge
}

// AddFlags adds --force, --json and --timeout to c; prefix starts the
// usage of the last two (node stop has them only with --watch).
func (o *Options) AddFlags(c *cobra.Command, prefix string) {
	c.Flags().BoolVar(&o.Force, "force", false, "stop even the only running manager")
	c.Flags().BoolVar(&o.JSON, "json", false, prefix+"print the timeline as JSON")
	c.Flags().DurationVar(&o.Timeout, "timeout", 2*time.Minute, prefix+"how long to wait for the swarm to converge")
}

// Watch stops node and prints the failover as it happens, then a summary
// (or all of it as JSON). It does not start the node again.
func Watch(ctx context.Context, l *lab.Lab, node string, o Options, out io.Writer) error {
	// The timeline is the output; step lines would only interleave with it.
	l.Status = cli.NewStatus(io.Discard, true)
	report := func(e lab.Event) {
		if !o.JSON {
			fmt.Fprintf(out, "  +%5.1fs  %s\n", e.At.Seconds(), e.What)
		}
	}
	f, err := l.StopAndWatch(ctx, node, o.Force, o.Timeout, report)
	if o.JSON {
		if jerr := json.NewEncoder(out).Encode(f); jerr != nil {
			return jerr
		}
	} else if err == nil {
		fmt.Fprintf(out, "\nSummary: %s\nBring it back with 'swarmlab node start %s'.\n", f, node)
	}
	return err
}
