package labflags

import (
	"errors"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// Connector opens a client to the host engine. The root passes one that
// reaches the user's engine (Engine); tests pass one that returns a fake.
type Connector func() (docker.Engine, error)

// Engine is the Connector to the user's engine: DOCKER_HOST, else the
// current docker context.
func Engine() (docker.Engine, error) {
	c, err := docker.Connect()
	if err != nil {
		return nil, err // not a nil *client.Client in an interface
	}
	return c, nil
}

// Flags are the root's persistent flags, and how the lab commands reach the
// engine. The root registers them and hands the same *Flags to every lab
// command.
type Flags struct {
	Name    string
	Config  string // the config file's path
	Verbose bool
	Quiet   bool
	// Connect opens the host engine for each command; the root sets it.
	Connect Connector

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

// LabConfig is the one place a lab's config is made, for every command:
// the defaults, then the config file, then --name when it was given or there
// is no config file, then the command's own flags (adjust, nil for none),
// then Validate. A command sees a config that is whole and valid, or an
// error that says what to fix.
func (f Flags) LabConfig(cmd *cobra.Command, adjust func(*lab.Config)) (lab.Config, error) {
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
	if adjust != nil {
		adjust(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		hint := "fix the flags"
		if f.Config != "" {
			hint = "fix the flags or the config file " + f.Config + "; every key is listed in docs/config.md"
		}
		return cfg, cli.WithHint(err, hint)
	}
	return cfg, nil
}

// Run is the one way a lab command reaches its lab: it builds the config
// (LabConfig, with adjust), connects to the host engine through Connect,
// runs do on the lab and closes the connection.
func (f Flags) Run(cmd *cobra.Command, logger *slog.Logger, streams cli.Streams, adjust func(*lab.Config), do func(*lab.Lab) error) error {
	cfg, err := f.LabConfig(cmd, adjust)
	if err != nil {
		return err
	}
	if f.Connect == nil {
		return errors.New("internal error: no engine connector; the root sets Flags.Connect")
	}
	eng, err := f.Connect()
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
