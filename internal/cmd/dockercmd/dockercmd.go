// Package dockercmd implements 'swarmlab docker ARGS...': the docker CLI of
// the manager, so 'swarmlab docker node ls' is the tutorial's 'docker node ls'.
package dockercmd

import (
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/cmd/shell"
)

// NewCommand returns the docker command.
func NewCommand(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "docker ARGS...",
		Short: "Run the docker CLI on the manager",
		Example: `  swarmlab docker node ls
  swarmlab docker service ls
  swarmlab docker stack deploy -c /stack/webapi.yml swtest`,
		// Everything after 'docker' belongs to the docker CLI.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			args = takeLabFlags(args)
			if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") || len(args) == 0 {
				return cmd.Help()
			}
			cfg, err := labflags.LoadConfig(cmd)
			if err != nil {
				return err
			}
			l, err := labflags.Open(cmd, cfg, logger, streams)
			if err != nil {
				return err
			}
			defer l.Engine.Close()
			_, name, err := l.Manager(cmd.Context())
			if err != nil {
				return err
			}
			id, err := l.RunningContainer(cmd.Context(), name)
			if err != nil {
				return err
			}
			args, stdin, err := l.AdaptStackDeploy(cmd.Context(), id, args)
			if err != nil {
				return err
			}
			if stdin != nil {
				l.Status.Infof("this kernel has no IPVS: deploying the file with endpoint_mode dnsrr and host-mode ports ('swarmlab doctor' explains)")
				streams.In = stdin
			}
			return shell.Exec(cmd, l, id, append([]string{"docker"}, args...), streams)
		},
	}
}

// takeLabFlags removes swarmlab's own --name/--config from the front of the
// arguments, which flag parsing would otherwise have handled.
func takeLabFlags(args []string) []string {
	for len(args) > 0 {
		a := args[0]
		switch {
		case (a == "--name" || a == "--config") && len(args) > 1:
			set(a[2:], args[1])
			args = args[2:]
		case strings.HasPrefix(a, "--name=") || strings.HasPrefix(a, "--config="):
			k, v, _ := strings.Cut(a[2:], "=")
			set(k, v)
			args = args[1:]
		default:
			return args
		}
	}
	return args
}

func set(key, value string) {
	if key == "name" {
		labflags.Shared.Name = value
	} else {
		labflags.Shared.Config = value
	}
}
