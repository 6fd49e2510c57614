package buildcmd

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/nodeimage"
)

// NewCommand returns the build command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	c := &cobra.Command{
		Use:   "build",
		Short: "Build images the lab needs",
	}
	opts := nodeimage.Options{}
	var force bool
	ni := &cobra.Command{
		Use:   "node-image",
		Short: "Build " + lab.LocalNodeImage + " from Debian packages with debootstrap (Linux, as root; no image pull needed)",
		Long: "Build " + lab.LocalNodeImage + " from Debian packages with debootstrap (Linux, as root; no image pull needed).\n" +
			"'swarmlab up' does this by itself when docker:dind cannot be pulled and it runs as root.",
		Args: cobra.NoArgs,
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, args []string, l *lab.Lab) error {
			if _, err := l.Engine.ImageInspect(cmd.Context(), opts.Tag); err == nil && !force {
				l.Status.Infof("%s is already built (rebuild with --force)", opts.Tag)
				return nil
			}
			l.Status.Start(fmt.Sprintf("Building %s from Debian packages (debootstrap, about a minute)", opts.Tag))
			err := l.BuildNodeImage(cmd.Context(), opts)
			l.Status.End(err == nil)
			return err
		}),
	}
	ni.Flags().StringVar(&opts.Tag, "tag", lab.LocalNodeImage, "image name")
	ni.Flags().StringVar(&opts.Mirror, "mirror", "", "Debian mirror (default: the one apt uses here, else deb.debian.org)")
	ni.Flags().StringVar(&opts.Suite, "suite", "bookworm", "Debian release")
	ni.Flags().BoolVar(&force, "force", false, "build again even if the image exists")
	c.AddCommand(ni)
	return c
}
