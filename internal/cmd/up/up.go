package up

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
	labup "github.com/swarmlab/swarmlab/internal/up"
)

type flags struct {
	managers, workers                    int
	nodeImage, bind, subnet, stackDir    string
	ingress, visualizer, stats, registry int
	heartbeat                            time.Duration
	bare, handsOn, retain                bool
	imageBinary                          string
}

// NewCommand returns the up command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	f := &flags{}
	d := lab.Defaults()
	c := &cobra.Command{
		Use:   "up",
		Short: "Create the lab (registry, manager, workers, demo app, visualizer, ingress), or repair it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			apply := func(cfg *lab.Config) { apply(cmd, f, cfg) }
			return lf.Run(cmd, logger, streams, apply, func(l *lab.Lab) error {
				opts := labup.Options{Bare: f.bare, HandsOn: f.handsOn, Retain: f.retain, ImageBinary: f.imageBinary}
				ep, err := labup.Run(cmd.Context(), l, opts)
				if err != nil || lf.Quiet {
					return err
				}
				if f.handsOn {
					printHandsOn(streams, l.Config, ep)
				} else {
					printURLs(streams, l.Config, ep, f.bare)
				}
				return nil
			})
		},
	}
	fl := c.Flags()
	fl.IntVar(&f.managers, "managers", d.Managers, "manager nodes (3 gives a Raft quorum)")
	fl.IntVar(&f.workers, "workers", d.Workers, "worker nodes")
	fl.StringVar(&f.nodeImage, "node-image", d.NodeImage, "Docker-in-Docker image for the nodes ('swarmlab build node-image' makes "+lab.LocalNodeImage+" offline)")
	fl.StringVar(&f.bind, "bind", d.Bind, "host address to publish ports on")
	fl.StringVar(&f.subnet, "subnet", "", "subnet of the lab network (default: a free /24 in 172.28.0.0/16)")
	fl.StringVar(&f.stackDir, "stack-dir", "", "folder mounted at /stack in the manager (default ./stack, or the built-in files)")
	fl.IntVar(&f.ingress, "ingress-port", d.Ports.Ingress, "host port of the ingress (manager:80); 0 to leave it unpublished")
	fl.IntVar(&f.visualizer, "visualizer-port", d.Ports.Visualizer, "host port of the visualizer (manager:9000); 0 to leave it unpublished")
	fl.IntVar(&f.stats, "stats-port", d.Ports.Stats, "host port of the ingress stats page (manager:1936); 0 to leave it unpublished")
	fl.IntVar(&f.registry, "registry-port", d.Ports.Registry, "host port of the registry")
	fl.DurationVar(&f.heartbeat, "heartbeat", 0, fmt.Sprintf("swarm dispatcher heartbeat (default: %s, longer on a slow engine; swarm's own is 5s)", labup.DefaultHeartbeat))
	fl.BoolVar(&f.bare, "bare", false, "stop once the swarm is formed; deploy nothing")
	fl.BoolVar(&f.handsOn, "hands-on", false, "stop where the handout starts typing: nodes running, no swarm, an empty registry ('swarmlab tutorial' guides you)")
	fl.BoolVar(&f.retain, "retain", false, "keep what a failed run created, to look at it")
	fl.StringVar(&f.imageBinary, "image-binary", "", "static Linux swarmlab binary to ship in the lab's images (default: this one)")
	return c
}

// apply lays the flags that were given over the config.
func apply(cmd *cobra.Command, f *flags, cfg *lab.Config) {
	set := func(name string, do func()) {
		if cmd.Flags().Changed(name) {
			do()
		}
	}
	set("managers", func() { cfg.Managers = f.managers })
	set("workers", func() { cfg.Workers = f.workers })
	set("node-image", func() { cfg.NodeImage = f.nodeImage })
	set("bind", func() { cfg.Bind = f.bind })
	set("subnet", func() { cfg.Subnet = f.subnet })
	set("stack-dir", func() { cfg.StackDir = f.stackDir })
	set("ingress-port", func() { cfg.Ports.Ingress = f.ingress })
	set("visualizer-port", func() { cfg.Ports.Visualizer = f.visualizer })
	set("stats-port", func() { cfg.Ports.Stats = f.stats })
	set("registry-port", func() { cfg.Ports.Registry = f.registry })
	set("heartbeat", func() { cfg.Heartbeat = f.heartbeat })
}

func printURLs(streams cli.Streams, cfg lab.Config, ep lab.Endpoints, bare bool) {
	w := streams.Out
	fmt.Fprintf(w, "\nLab %q is up.\n", cfg.Name)
	if !bare {
		if ep.Ports.Ingress != 0 {
			fmt.Fprintf(w, "  App (through the ingress):  %s/\n", ep.URL(ep.Ports.Ingress))
		}
		if ep.Ports.Visualizer != 0 {
			fmt.Fprintf(w, "  Visualizer:                 %s/\n", ep.URL(ep.Ports.Visualizer))
		}
		if ep.Ports.Stats != 0 {
			fmt.Fprintf(w, "  Ingress stats (stats:stats): %s/\n", ep.URL(ep.Ports.Stats))
		}
	}
	fmt.Fprintf(w, "  Registry:                   127.0.0.1:%d (registry:5000 from the nodes)\n", ep.Ports.Registry)
	fmt.Fprintf(w, "\nNext: %s, %s, %s.\n", cfg.Cmd("status"), cfg.Cmd("docker node ls"), cfg.Cmd("shell manager"))
}

func printHandsOn(streams cli.Streams, cfg lab.Config, ep lab.Endpoints) {
	w := streams.Out
	fmt.Fprintf(w, "\nLab %q is ready for the hands-on tutorial: registry, %s and %d workers are running; no swarm yet.\n", cfg.Name, cfg.ContainerName("manager"), cfg.Workers)
	fmt.Fprintf(w, "  The manager's CLI:   docker exec -it %s sh   (or %s)\n", cfg.ContainerName("manager"), cfg.Cmd("shell manager"))
	fmt.Fprintf(w, "  Registry:            localhost:%d (registry:5000 from the nodes)\n", ep.Ports.Registry)
	fmt.Fprintf(w, "\nNext: %s says what to type; %s in another terminal ticks each step.\n", cfg.Cmd("tutorial"), cfg.Cmd("tutorial --watch"))
}
