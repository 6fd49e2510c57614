package tutorial

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/class/learner"
	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/tutorial"
)

type flags struct {
	watch, json bool
	lang        string
	interval    time.Duration
}

// NewCommand returns the tutorial command and its goto and reset.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	f := &flags{}
	c := &cobra.Command{
		Use:   "tutorial",
		Short: "Follow the handout on a hands-on lab: where you are and what to type next (--watch ticks each step live)",
		Long: `Checks the handout's steps against the lab's real state: start with
'swarmlab up --hands-on', type the handout's commands in the nodes and on the
host, and run 'swarmlab tutorial --watch' in another terminal to see each step
ticked as you finish it. A step that went wrong gets a hint from what the lab shows.`,
		Example: `  swarmlab up --hands-on
  swarmlab tutorial --watch
  swarmlab tutorial --json
  swarmlab tutorial goto stack-deploy   # catch up: the lab as at the start of that step
  swarmlab tutorial reset               # start over`,
		Args: cobra.NoArgs,
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, _ []string, l *lab.Lab) error {
			lang, err := tutorial.Lang(f.lang)
			if err != nil {
				return cli.WithHint(err, "--lang en or --lang ja")
			}
			r := tutorial.NewReader(l)
			defer r.Close()
			if !f.watch {
				p, err := tutorial.Check(cmd.Context(), r, lang)
				if err != nil {
					return err
				}
				learner.Once(cmd.Context(), p, readLab(cmd.Context(), r))
				return show(streams, f.json, p)
			}
			ctx, cancel := cli.SignalContext(cmd)
			defer cancel()
			tty := cli.IsTerminal(streams.Out) && !f.json
			// In a class, each progress also goes to the teacher's board, and
			// what the teacher says shows under the steps (docs/class.md).
			cls := learner.Start(ctx)
			defer cls.Close()
			if tty {
				// In a class, h raises a hand: the terminal is in single-key
				// mode until the watch ends, however it ends.
				stop := cls.Keys(ctx, streams.In, nil)
				defer stop()
				return watchScreen(ctx, r, lang, f.interval, streams.Out.(*os.File), cls)
			}
			var mu sync.Mutex
			var prev *tutorial.Progress
			cls.OnFeed(func() {
				mu.Lock()
				defer mu.Unlock()
				if !f.json {
					for _, line := range cls.Lines(lang) {
						fmt.Fprintln(streams.Out, line)
					}
				}
			})
			return tutorial.Watch(ctx, r, lang, f.interval, func(p tutorial.Progress) {
				cls.Progress(p, readLab(ctx, r))
				mu.Lock()
				defer mu.Unlock()
				if f.json {
					_ = tutorial.WriteJSON(streams.Out, p)
				} else {
					tutorial.WriteChanges(streams.Out, prev, p)
				}
				prev = &p
			})
		}),
	}
	fl := c.PersistentFlags()
	fl.StringVar(&f.lang, "lang", "", "language of the steps: en or ja (default: from the locale, LANG)")
	fl.BoolVar(&f.json, "json", false, "print the progress as JSON (with --watch: one line per change)")
	c.Flags().BoolVarP(&f.watch, "watch", "w", false, "follow the lab live and tick each step as it is done")
	c.Flags().DurationVar(&f.interval, "interval", tutorial.DefaultInterval, "with --watch, how often the lab is read")
	c.AddCommand(newGoto(logger, streams, lf, f), newReset(logger, streams, lf, f))
	return c
}

// watchScreen is --watch on a terminal: the progress fitted to the
// terminal's size, drawn again when the lab changes or the terminal is
// resized; in a class, with the teacher's block (cls may be nil).
func watchScreen(ctx context.Context, r *tutorial.Reader, lang string, interval time.Duration, out *os.File, cls *learner.Session) error {
	var mu sync.Mutex
	var last *tutorial.Progress
	draw := func() {
		if last == nil {
			return
		}
		w, h, err := term.GetSize(int(out.Fd()))
		if err != nil {
			w, h = 80, 24
		}
		var b strings.Builder
		b.WriteString("\033[H\033[2J")
		lines := tutorial.Fit(*last, tutorial.Screen{Width: w, Height: h, Extra: cls.Lines(lang),
			Footer: fmt.Sprintf("(%s, %s)", last.At.Format("15:04:05"), tutorial.Watching(lang))})
		// No newline after the last line: it would scroll the header away.
		b.WriteString(strings.Join(lines, "\r\n"))
		fmt.Fprint(out, b.String())
	}
	cls.OnFeed(func() {
		mu.Lock()
		defer mu.Unlock()
		draw()
	})
	go func() {
		for range resizes(ctx, out) {
			mu.Lock()
			draw()
			mu.Unlock()
		}
	}()
	err := tutorial.Watch(ctx, r, lang, interval, func(p tutorial.Progress) {
		cls.Progress(p, readLab(ctx, r))
		mu.Lock()
		defer mu.Unlock()
		last = &p
		draw()
	})
	fmt.Fprintln(out)
	return err
}

func show(streams cli.Streams, asJSON bool, p tutorial.Progress) error {
	if asJSON {
		return tutorial.WriteJSON(streams.Out, p)
	}
	tutorial.WriteText(streams.Out, p)
	return nil
}

func newGoto(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags, f *flags) *cobra.Command {
	return &cobra.Command{
		Use:   "goto STEP",
		Short: "Bring the lab to the start of a step (an id or a number), doing what comes before and undoing what comes after",
		Example: `  swarmlab tutorial goto tag
  swarmlab tutorial goto 14`,
		Args: cobra.ExactArgs(1),
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, args []string, l *lab.Lab) error {
			lang, err := tutorial.Lang(f.lang)
			if err != nil {
				return cli.WithHint(err, "--lang en or --lang ja")
			}
			if err := tutorial.Goto(cmd.Context(), l, args[0]); err != nil {
				return err
			}
			return report(cmd, streams, l, f, lang)
		}),
	}
}

func newReset(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags, f *flags) *cobra.Command {
	return &cobra.Command{
		Use:   "reset",
		Short: "Start the tutorial over: the hands-on lab as 'up --hands-on' makes it (the registry emptied)",
		Args:  cobra.NoArgs,
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, _ []string, l *lab.Lab) error {
			lang, err := tutorial.Lang(f.lang)
			if err != nil {
				return cli.WithHint(err, "--lang en or --lang ja")
			}
			if err := tutorial.Reset(cmd.Context(), l); err != nil {
				return err
			}
			return report(cmd, streams, l, f, lang)
		}),
	}
}

// report prints where the learner is after goto or reset.
func report(cmd *cobra.Command, streams cli.Streams, l *lab.Lab, f *flags, lang string) error {
	r := tutorial.NewReader(l)
	defer r.Close()
	p, err := tutorial.Check(cmd.Context(), r, lang)
	if err != nil {
		return err
	}
	learner.Once(cmd.Context(), p, readLab(cmd.Context(), r))
	if !f.json {
		fmt.Fprintln(streams.Out)
	}
	return show(streams, f.json, p)
}

// readLab reads the lab again for the class's summary of nodes and services.
func readLab(ctx context.Context, r *tutorial.Reader) func() (*tutorial.State, error) {
	return func() (*tutorial.State, error) { return r.Read(ctx) }
}
