package labflags

import (
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// Flags are the root's persistent flags. The root registers them and hands
// the same *Flags to every lab command.
type Flags struct {
	Name    string
	Config  string
	Verbose bool
	Quiet   bool

	nameGiven bool // --name came in arguments that cobra did not parse
}

// Register adds the flags to the root command.
func (f *Flags) Register(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.StringVar(&f.Name, "name", lab.DefaultName, "lab name; lets several labs share one engine")
	pf.StringVar(&f.Config, "config", "", "YAML config file (see docs/config.md)")
	pf.BoolVarP(&f.Verbose, "verbose", "v", false, "show more detail")
	pf.BoolVarP(&f.Quiet, "quiet", "q", false, "print only errors")
}

// Take returns a copy of f with swarmlab's own --name and --config taken
// from the front of args, and the arguments left, for a command that leaves
// its arguments to another program ('swarmlab docker').
func (f Flags) Take(args []string) (Flags, []string) {
	for len(args) > 0 {
		key, value, rest := "", "", args
		switch a := args[0]; {
		case (a == "--name" || a == "--config") && len(args) > 1:
			key, value, rest = a[2:], args[1], args[2:]
		case strings.HasPrefix(a, "--name=") || strings.HasPrefix(a, "--config="):
			key, value, _ = strings.Cut(a[2:], "=")
			rest = args[1:]
		default:
			return f, args
		}
		if key == "name" {
			f.Name, f.nameGiven = value, true
		} else {
			f.Config = value
		}
		args = rest
	}
	return f, args
}

// LabConfig builds the lab's config: defaults, then the config file, then
// --name when it was given or there is no config file.
func (f Flags) LabConfig(cmd *cobra.Command) (lab.Config, error) {
	cfg := lab.Defaults()
	if f.Config != "" {
		var err error
		if cfg, err = lab.LoadFile(f.Config, cfg); err != nil {
			return cfg, cli.WithHint(err, "fix the config file; every key is listed in docs/config.md")
		}
	}
	if f.nameGiven || cmd.Flags().Changed("name") || f.Config == "" {
		cfg.Name = f.Name
	}
	return cfg, nil
}

// Run is the one way a lab command reaches its lab: it builds the config,
// lets adjust change it (nil leaves it as it is), connects to the host
// engine, runs do on the lab and closes the connection.
func (f Flags) Run(cmd *cobra.Command, logger *slog.Logger, streams cli.Streams, adjust func(*lab.Config), do func(*lab.Lab) error) error {
	cfg, err := f.LabConfig(cmd)
	if err != nil {
		return err
	}
	if adjust != nil {
		adjust(&cfg)
	}
	eng, err := docker.Connect()
	if err != nil {
		return err
	}
	defer eng.Close()
	status := cli.NewStatus(streams.Err, f.Quiet)
	if f.Verbose {
		status.Verbose()
	} else {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return do(lab.New(cfg, eng, status, logger))
}

// RunE is Run as a cobra RunE, for the commands that take the config as it is.
func (f *Flags) RunE(logger *slog.Logger, streams cli.Streams, do func(cmd *cobra.Command, args []string, l *lab.Lab) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return f.Run(cmd, logger, streams, nil, func(l *lab.Lab) error { return do(cmd, args, l) })
	}
}
