package open

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/tutorial"
	"github.com/swarmlab/swarmlab/internal/web"
	"github.com/swarmlab/swarmlab/internal/window"
)

// Notices gives the window the broadcasts of the class the learner joined
// ('swarmlab class join'); without a class there are none.
func Notices(*slog.Logger) window.Notices { return classNotices{} }

type flags struct {
	port      int
	noBrowser bool
	lang      string
}

// NewCommand returns the open command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	f := &flags{}
	c := &cobra.Command{
		Use:   "open",
		Short: "Learn in one browser window: the handout's steps checked live, a terminal in every node, the swarm drawn",
		Long: `Serves the learner's window on 127.0.0.1 and opens it in your browser: the
handout's steps, each ticked as the lab shows it done (the checks of
'swarmlab tutorial --watch'), a terminal in every node of the lab (manager,
worker01, ...), and the swarm as the visualizer draws it. A button by each
command types it into the right node's terminal; you press Enter.

The link carries a secret made for this launch: only a browser that opened it
gets in, and no other web page can reach the terminals. There is no shell on
your computer itself: commands to type on the host are shown with a copy button.`,
		Example: `  swarmlab up --hands-on
  swarmlab open
  swarmlab open --lang ja
  swarmlab open --no-browser --port 8765   # print the link only`,
		Args: cobra.NoArgs,
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, _ []string, l *lab.Lab) error {
			return run(cmd, streams, f, l)
		}),
	}
	fl := c.Flags()
	fl.IntVar(&f.port, "port", 0, "port on 127.0.0.1 to serve the window on (default: a free one)")
	fl.BoolVar(&f.noBrowser, "no-browser", false, "print the link instead of opening the browser")
	fl.StringVar(&f.lang, "lang", "", "language of the page: en or ja (default: from the locale, LANG)")
	return c
}

func run(cmd *cobra.Command, streams cli.Streams, f *flags, l *lab.Lab) error {
	lang, err := tutorial.Lang(f.lang)
	if err != nil {
		return cli.WithHint(err, "--lang en or --lang ja")
	}
	if f.port < 0 || f.port > 65535 {
		return cli.WithHint(fmt.Errorf("--port %d is not a port", f.port), "give a port from 1 to 65535, or leave --port out for a free one")
	}
	ctx, cancel := cli.SignalContext(cmd)
	defer cancel()
	// The ports as up published them, whatever flags this command got.
	ep, err := l.Endpoints(ctx)
	if err != nil {
		return err
	}
	r := tutorial.NewReader(l)
	defer r.Close()
	viz := ""
	if p := ep.Ports.Visualizer; p != 0 {
		viz = ep.URL(p)
	}
	srv, err := window.New(window.Config{
		Lab:     window.EngineLab{Lab: l},
		LabName: l.Config.Name,
		Lang:    lang,
		Progress: func(ctx context.Context, show func(tutorial.Progress)) error {
			return tutorial.Watch(ctx, r, lang, tutorial.DefaultInterval, show)
		},
		Visualizer: viz,
		Notices:    Notices(l.Log),
		Logger:     l.Log, // quiet unless -v
	})
	if err != nil {
		return err
	}
	// 127.0.0.1 only: the page holds a shell in every node.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(f.port)))
	if err != nil {
		return cli.WithHint(fmt.Errorf("cannot listen on 127.0.0.1:%d: %w", f.port, err), "choose another port with --port, or leave --port out for a free one")
	}
	url := srv.URL(ln.Addr().String())
	fmt.Fprintf(streams.Out, "swarmlab open: the window of lab %q is at\n\n  %s\n\n", l.Config.Name, url)
	if !f.noBrowser {
		if err := web.OpenBrowser(url); err != nil {
			fmt.Fprintln(streams.Out, "No browser could be started here: open the link above in yours.")
		}
	}
	fmt.Fprintln(streams.Out, "Keep this running while you learn; Ctrl-C stops it.")
	go srv.Watch(ctx)
	return web.Serve(ctx, "window", ln, srv.Handler(), l.Log)
}
