package images

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/regclient"
)

// NewCommand returns the images command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "images",
		Short: "List the images in the lab registry, with their compressed sizes; 'images push' sends the ingress and visualizer to yours",
		Args:  cobra.NoArgs,
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, args []string, l *lab.Lab) error {
			ep, err := l.Endpoints(cmd.Context())
			if err != nil {
				return err
			}
			base := ep.URL(ep.Ports.Registry)
			sizes, err := regclient.ImageSizes(cmd.Context(), base)
			if err != nil {
				return cli.WithHint(fmt.Errorf("read the registry at %s: %w", base, err), "is the lab up? "+l.Config.Cmd("status")+" shows it; start it with "+l.Config.Cmd("start"))
			}
			if asJSON {
				enc := json.NewEncoder(streams.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(sizes)
			}
			w := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "IMAGE\tTAG\tSIZE\tDIGEST")
			for _, img := range sizes.Images {
				fmt.Fprintf(w, "registry:5000/%s\t%s\t%s\t%.19s\n", img.Repo, img.Tag, MB(img.Size), img.Digest)
			}
			fmt.Fprintf(w, "\nTotal in the registry, shared layers counted once: %s\n", MB(sizes.Total))
			return w.Flush()
		}),
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.AddCommand(newPushCommand(streams, &lf.Quiet))
	return c
}

// MB formats a byte count as megabytes.
func MB(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
