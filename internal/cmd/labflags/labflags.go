// Package labflags holds the flags every lab command shares (--name,
// --config, -v, -q) and turns them into a lab on the host engine.
package labflags

import (
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// Flags are the root's persistent flags.
type Flags struct {
	Name    string
	Config  string
	Verbose bool
	Quiet   bool
}

// Register adds the shared flags to the root command.
func (f *Flags) Register(cmd *cobra.Command) {
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.Name, "name", lab.DefaultName, "lab name; lets several labs share one engine")
	pf.StringVar(&f.Config, "config", "", "YAML config file (see docs/config.md)")
	pf.BoolVarP(&f.Verbose, "verbose", "v", false, "show more detail")
	pf.BoolVarP(&f.Quiet, "quiet", "q", false, "print only errors")
}

// Shared is the root's flag set, read by every lab command.
var Shared Flags

// LoadConfig builds a lab config: defaults, then the config file, then the
// name flag when it was given.
func LoadConfig(cmd *cobra.Command) (lab.Config, error) {
	cfg := lab.Defaults()
	if Shared.Config != "" {
		var err error
		if cfg, err = lab.LoadFile(Shared.Config, cfg); err != nil {
			return cfg, cli.WithHint(err, "fix the config file; every key is listed in docs/config.md")
		}
	}
	if f := cmd.Flags().Lookup("name"); f != nil && f.Changed || Shared.Config == "" {
		cfg.Name = Shared.Name
	}
	return cfg, nil
}

// Open connects to the host engine and returns the lab.
func Open(cmd *cobra.Command, cfg lab.Config, logger *slog.Logger, streams cli.Streams) (*lab.Lab, error) {
	eng, err := docker.Connect()
	if err != nil {
		return nil, err
	}
	status := cli.NewStatus(streams.Err, Shared.Quiet)
	log := logger
	if Shared.Verbose {
		status.Verbose()
	} else {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return lab.New(cfg, eng, status, log), nil
}

// RunE returns a cobra RunE that loads the config, opens the lab on the
// host engine and hands it to do.
func RunE(logger *slog.Logger, streams cli.Streams, do func(cmd *cobra.Command, args []string, l *lab.Lab) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		cfg, err := LoadConfig(cmd)
		if err != nil {
			return err
		}
		l, err := Open(cmd, cfg, logger, streams)
		if err != nil {
			return err
		}
		defer l.Engine.Close()
		return do(cmd, args, l)
	}
}
