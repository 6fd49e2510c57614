package images

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/dockerconfig"
	"github.com/swarmlab/swarmlab/internal/realswarm"
	"github.com/swarmlab/swarmlab/internal/version"
)

// newPushCommand returns 'images push', which needs no Docker engine: it
// builds the images itself and talks to the registry directly.
func newPushCommand(streams cli.Streams, quiet *bool) *cobra.Command {
	o := realswarm.PushOptions{}
	var binaries []string
	c := &cobra.Command{
		Use:   "push REGISTRY/PREFIX",
		Short: "Push the ingress and visualizer images, for linux/amd64 and linux/arm64, to any registry",
		Long: `Push the lab's ingress and visualizer to a registry of your own, for a real swarm:
each is one multi-arch image (an OCI index for linux/amd64 and linux/arm64),
REGISTRY/PREFIX/ingress:TAG and REGISTRY/PREFIX/visualizer:TAG. No Docker engine
is needed; the login is the one 'docker login REGISTRY' stored. Then deploy them
with 'swarmlab deploy --context NAME --images REGISTRY/PREFIX --tag TAG'.`,
		Example: "  swarmlab images push registry.example.com/swarmlab --tag 1.0\n  swarmlab images push 127.0.0.1:5000/swarmlab   # the lab's own registry",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Repo = args[0]
			o.Binaries = map[string]string{}
			for _, b := range binaries {
				platform, path, ok := strings.Cut(b, "=")
				arch, found := strings.CutPrefix(platform, "linux/")
				if !ok || !found || (arch != "amd64" && arch != "arm64") {
					return cli.WithHint(fmt.Errorf("--binary %q", b), "write --binary linux/amd64=PATH or --binary linux/arm64=PATH")
				}
				o.Binaries[arch] = path
			}
			cfg, err := dockerconfig.Load(dockerconfig.Dir())
			if err != nil {
				return err
			}
			o.Credentials = cfg.Credentials
			status := cli.NewStatus(streams.Err, *quiet)
			o.Progress = status.Progress
			status.Start("Pushing the ingress and visualizer images to " + o.Repo)
			pushed, err := realswarm.Push(cmd.Context(), o)
			status.End(err == nil)
			if err != nil {
				return err
			}
			for _, p := range pushed {
				fmt.Fprintf(streams.Out, "%s  %s  %s\n", p.Ref, strings.Join(p.Platforms, ","), p.Digest)
			}
			if len(pushed) > 0 && len(pushed[0].Platforms) < 2 {
				status.Infof("only %s: this swarmlab carries no server for the other architecture; use the release archive, or add --binary linux/ARCH=PATH", pushed[0].Platforms[0])
			}
			return nil
		},
	}
	c.Flags().StringVar(&o.Tag, "tag", version.Version, "tag of both images")
	c.Flags().BoolVar(&o.Insecure, "insecure", false, "plain HTTP (loopback registries always are)")
	c.Flags().StringArrayVar(&binaries, "binary", nil, "server binary of a platform instead of the one this swarmlab carries: linux/ARCH=PATH")
	return c
}
