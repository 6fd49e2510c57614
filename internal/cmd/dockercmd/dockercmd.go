package dockercmd

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// NewCommand returns the docker command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	return &cobra.Command{
		Use:   "docker ARGS...",
		Short: "Run the docker CLI on the manager",
		Example: `  swarmlab docker node ls
  swarmlab docker service ls
  swarmlab docker stack deploy -c /stack/webapi.yml swtest`,
		// Everything after 'docker' belongs to the docker CLI.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Flag parsing is off, so swarmlab's own flags come in args.
			own, args := lf.Take(args)
			if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") || len(args) == 0 {
				return cmd.Help()
			}
			return own.Run(cmd, logger, streams, nil, func(l *lab.Lab) error {
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
				in := streams.In
				if stdin != nil {
					l.Status.Infof("this kernel has no IPVS: deploying the file with endpoint_mode dnsrr and host-mode ports (%s explains)", l.Config.Cmd("doctor"))
					in = stdin
				}
				argv := append([]string{"docker"}, args...)
				return cli.ExitStatus(docker.ExecInteractive(cmd.Context(), l.Engine, id, argv, in, streams.Out, streams.Err))
			})
		},
	}
}
