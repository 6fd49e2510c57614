package class

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	classsrv "github.com/swarmlab/swarmlab/internal/class"
	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
)

func newPrepare(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	var extra []string
	c := &cobra.Command{
		Use:   "prepare DIR",
		Short: "Fill the class folder's download point: the node image (and --image ones) saved from this engine, and checksums for DIR/releases",
		Long: `Run before the session, on a machine whose engine has the node image
(docker:dind, pulled, or swarmlab/node:latest from 'swarmlab build node-image').
Each image is saved as a gzip docker-save tarball into DIR/images with its
SHA256SUMS; release archives copied into DIR/releases are checked against their
SHA256SUMS (or one is written). 'swarmlab class serve --dir DIR' then serves
them to the learners, and their 'swarmlab up' loads the node image from it.`,
		Example: `  swarmlab class prepare ./class
  swarmlab class prepare ./class --image nginx:alpine`,
		Args: cobra.ExactArgs(1),
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, args []string, l *lab.Lab) error {
			saver, ok := l.Engine.(classsrv.ImageSaver)
			if !ok {
				return errors.New("this engine client cannot save images")
			}
			// The node image up would use: the configured one, else (for
			// the default) the one 'build node-image' makes. One is enough:
			// each is hundreds of megabytes.
			var refs []string
			candidates := []string{l.Config.NodeImage}
			if l.Config.NodeImage == lab.Defaults().NodeImage {
				candidates = append(candidates, lab.LocalNodeImage)
			}
			for _, ref := range candidates {
				if _, err := l.Engine.ImageInspect(cmd.Context(), ref); err == nil {
					refs = append(refs, ref)
					break
				}
			}
			if len(refs) == 0 {
				return cli.WithHint(fmt.Errorf("no node image on this engine (looked for %s)", strings.Join(candidates, ", ")),
					"pull it ('docker pull "+l.Config.NodeImage+"') or build one ('swarmlab build node-image'), then run this again")
			}
			for _, ref := range extra {
				if _, err := l.Engine.ImageInspect(cmd.Context(), ref); err != nil {
					return cli.WithHint(fmt.Errorf("image %s is not on this engine: %w", ref, err), "pull it first: docker pull "+ref)
				}
				refs = append(refs, ref)
			}
			start := time.Now()
			files, err := classsrv.Prepare(cmd.Context(), saver, args[0], refs, l.Status.Progress)
			for _, f := range files {
				fmt.Fprintf(streams.Out, "  %s  %d MB  sha256 %s\n", f.Name, f.Size>>20, f.SHA256[:16])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "The download point in %s is ready (%s). Try it: swarmlab class serve --dir %s\n", args[0], time.Since(start).Round(time.Second), args[0])
			return nil
		}),
	}
	c.Flags().StringArrayVar(&extra, "image", nil, "another image to serve (repeatable)")
	return c
}
