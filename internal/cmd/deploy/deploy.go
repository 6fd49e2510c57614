package deploy

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/docker/docker/api/types/registry"
	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/dockerconfig"
	"github.com/swarmlab/swarmlab/internal/realswarm"
	"github.com/swarmlab/swarmlab/internal/version"
)

// NewCommand returns the deploy command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	var contextName string
	var withAuth bool
	o := realswarm.DeployOptions{}
	c := &cobra.Command{
		Use:   "deploy --context NAME --images REGISTRY/PREFIX",
		Short: "Deploy the ingress and the visualizer to a real swarm behind a Docker context",
		Long: `Deploy the lab's ingress and visualizer, pushed with 'swarmlab images push', to the
swarm behind a Docker context (made with 'docker context create', for example
--docker host=ssh://USER@MANAGER): the stacks 'ingress' (global, on managers)
and 'visualizer' (one replica, on a manager), attached to an overlay network
that your services share with the ingress. Running it again updates them.`,
		Example: `  docker context create prod --docker host=ssh://admin@manager1.example.com
  swarmlab images push registry.example.com/swarmlab --tag 1.0
  swarmlab deploy --context prod --images registry.example.com/swarmlab --tag 1.0 --stats-auth admin:secret`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if contextName == "" {
				return cli.WithHint(errors.New("no Docker context given"), "name one with --context (see 'docker context ls'); the lab itself is deployed by 'swarmlab up'")
			}
			if withAuth {
				auth, err := registryAuth(o.Images)
				if err != nil {
					return err
				}
				o.RegistryAuth = auth
			}
			sw, err := docker.ConnectContext(contextName)
			if err != nil {
				return err
			}
			defer sw.Close()
			status := cli.NewStatus(streams.Err, lf.Quiet)
			o.Progress = status.Progress
			status.Start(fmt.Sprintf("Deploying the ingress and the visualizer to context %s", contextName))
			login, err := realswarm.Deploy(cmd.Context(), sw, o)
			status.End(err == nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "Deployed on the swarm of context %q (network %s, %s-mode ports).\n", contextName, o.Network, o.PublishMode)
			if o.IngressPort != 0 {
				fmt.Fprintf(streams.Out, "  Ingress:      port %d of every manager\n", o.IngressPort)
			}
			if o.StatsPort != 0 {
				fmt.Fprintf(streams.Out, "  Ingress stats: port %d, login %s\n", o.StatsPort, login)
			}
			if o.VisualizerPort != 0 {
				fmt.Fprintf(streams.Out, "  Visualizer:   port %d\n", o.VisualizerPort)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&contextName, "context", "", "Docker context of a manager of the swarm (required)")
	f.StringVar(&o.Images, "images", "", "REGISTRY/PREFIX the images were pushed to, as the nodes reach it (required)")
	f.StringVar(&o.Tag, "tag", version.Version, "tag of the images")
	f.StringVar(&o.Network, "network", "web", "overlay network shared with the services the ingress routes to (made if missing)")
	f.StringVar(&o.PublishMode, "publish-mode", "host", "host (each manager listens; keeps the client's address) or ingress (routing mesh, needs IPVS)")
	f.IntVar(&o.IngressPort, "ingress-port", 80, "published port of the ingress (0: none)")
	f.IntVar(&o.StatsPort, "stats-port", 1936, "published port of the ingress stats (0: none)")
	f.IntVar(&o.VisualizerPort, "visualizer-port", 9000, "published port of the visualizer (0: none)")
	f.StringArrayVar(&o.IngressConstraints, "ingress-constraint", []string{"node.role == manager"}, "placement constraint of the ingress (repeat for several)")
	f.StringArrayVar(&o.VisualizerConstraints, "visualizer-constraint", []string{"node.role == manager"}, "placement constraint of the visualizer (repeat for several)")
	f.StringVar(&o.StatsAuth, "stats-auth", "", "user:password of the stats page (default: a random password, printed)")
	f.BoolVar(&withAuth, "with-registry-auth", false, "send the registry login ('docker login') to the nodes, for a private registry")
	return c
}

// registryAuth encodes the stored login for the images' registry, as
// 'docker stack deploy --with-registry-auth' sends it.
func registryAuth(images string) (string, error) {
	t, err := realswarm.ParseRepo(images, false)
	if err != nil {
		return "", err
	}
	cfg, err := dockerconfig.Load(dockerconfig.Dir())
	if err != nil {
		return "", err
	}
	user, secret, err := cfg.Credentials(t.Host)
	if err != nil {
		return "", err
	}
	if user == "" {
		return "", cli.WithHint(fmt.Errorf("no login stored for %s", t.Host), "log in with 'docker login "+t.Host+"' first")
	}
	return registry.EncodeAuthConfig(registry.AuthConfig{Username: user, Password: secret, ServerAddress: t.Host})
}
