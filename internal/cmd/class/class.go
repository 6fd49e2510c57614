package class

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	classsrv "github.com/swarmlab/swarmlab/internal/class"
	"github.com/swarmlab/swarmlab/internal/class/client"
	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/web"
)

// NewCommand returns the class command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	c := &cobra.Command{
		Use:   "class",
		Short: "Teach a room: a board of every learner's step, and the room's own download point",
		Long: `The teacher runs 'swarmlab class serve' on a laptop in the room; each learner runs
'swarmlab class join URL CODE --name NAME' once. From then on the learner's
'swarmlab tutorial' reports the tutorial's state to the teacher's board, and
'swarmlab up' fetches the node image from the teacher's laptop when it cannot
pull it. See docs/class.md.`,
		Example: `  swarmlab class prepare ./class          # before the session, with the images here
  swarmlab class serve --dir ./class       # the teacher
  swarmlab class join http://192.168.1.20:7010 K7QXM2 --name Aiko   # each learner
  swarmlab class hand "my stack does not start"`,
	}
	c.AddCommand(newServe(logger, streams), newPrepare(logger, streams, lf), newJoin(streams), newLeave(streams), newHand(streams), newStatus(streams))
	return c
}

func newServe(logger *slog.Logger, streams cli.Streams) *cobra.Command {
	var o classsrv.Options
	var addr string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the class server: the teacher's board, the learners' API and the download point",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := cli.SignalContext(cmd)
			defer cancel()
			o.Log = logger
			srv, err := classsrv.Open(ctx, o)
			if err != nil {
				return err
			}
			defer srv.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return cli.WithHint(fmt.Errorf("listening on %s: %w", addr, err), "another program uses the port: pick another with --addr :PORT")
			}
			printWelcome(streams, srv, ln.Addr().(*net.TCPAddr), o.Dir)
			return web.Serve(ctx, "class", ln, srv.Handler(), logger)
		},
	}
	fl := c.Flags()
	fl.StringVar(&o.Dir, "dir", "swarmlab-class", "the class folder: the class's database, images/ and releases/ (a second serve on it resumes the class)")
	fl.StringVar(&addr, "addr", ":7010", "address to listen on (all of the laptop's addresses by default, so that the room can reach it)")
	fl.DurationVar(&o.StuckAfter, "stuck-after", 10*time.Minute, "mark a learner stuck after this long without progress")
	fl.DurationVar(&o.HintStuckAfter, "hint-stuck-after", 5*time.Minute, "mark a learner stuck after seeing the same hint this long")
	fl.IntVar(&o.MaxLearners, "max-learners", 500, "most learners the class takes")
	return c
}

// printWelcome prints what to write on the board, and the teacher's URL.
func printWelcome(streams cli.Streams, srv *classsrv.Server, a *net.TCPAddr, dir string) {
	urls := lanURLs(a)
	w := streams.Out
	fmt.Fprintf(w, "Class code: %s   (class folder: %s)\n\n", srv.Code, dir)
	fmt.Fprintln(w, "Learners join with (write it on the board):")
	fmt.Fprintf(w, "  swarmlab class join %s %s --name \"YOUR NAME\"\n\n", urls[0], srv.Code)
	if len(urls) > 1 {
		fmt.Fprintln(w, "This laptop's other addresses:")
		for _, u := range urls[1:] {
			fmt.Fprintf(w, "  %s\n", u)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Teacher's board (keep this link to yourself: it opens the board):")
	fmt.Fprintf(w, "  http://127.0.0.1:%d/?token=%s\n", a.Port, srv.Secret)
}

// lanURLs lists http://IP:PORT for each address the server listens on,
// the room's (private IPv4) first, loopback last.
func lanURLs(a *net.TCPAddr) []string {
	if !a.IP.IsUnspecified() {
		return []string{fmt.Sprintf("http://%s", net.JoinHostPort(a.IP.String(), fmt.Sprint(a.Port)))}
	}
	var lan, other []string
	addrs, _ := net.InterfaceAddrs()
	for _, ad := range addrs {
		ipn, ok := ad.(*net.IPNet)
		if !ok || ipn.IP.To4() == nil || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		u := fmt.Sprintf("http://%s:%d", ipn.IP, a.Port)
		if ipn.IP.IsPrivate() {
			lan = append(lan, u)
		} else {
			other = append(other, u)
		}
	}
	return append(append(lan, other...), fmt.Sprintf("http://127.0.0.1:%d", a.Port))
}

func newJoin(streams cli.Streams) *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:   "join URL CODE --name NAME",
		Short: "Join a class: from now on 'swarmlab tutorial' reports your steps to the teacher's board",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(name) == "" {
				return cli.WithHint(errors.New("a name is needed, so that the teacher knows who you are"), `swarmlab class join URL CODE --name "Your Name"`)
			}
			m, err := client.Join(cmd.Context(), args[0], args[1], name)
			if err != nil {
				return cli.WithHint(err, "check the address and the code on the board; the laptop and yours must be on the same network")
			}
			home, _ := client.Home()
			fmt.Fprintf(streams.Out, "Joined the class at %s as %q (learner %d); remembered in %s.\n", m.URL, m.Name, m.ID, filepath.Join(home, "class.json"))
			fmt.Fprintln(streams.Out, "'swarmlab tutorial' now sends the tutorial's state to the teacher (docs/class.md says exactly what); 'swarmlab class leave' stops it.")
			return nil
		},
	}
	c.Flags().StringVar(&name, "name", "", "your name as the teacher will see it (up to 40 characters)")
	return c
}

func newLeave(streams cli.Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "leave",
		Short: "Leave the class: nothing more is sent",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := client.Leave(cmd.Context())
			if err == client.ErrNotJoined {
				fmt.Fprintln(streams.Out, "Not in a class.")
				return nil
			}
			if m.URL != "" {
				fmt.Fprintf(streams.Out, "Left the class at %s.\n", m.URL)
			}
			return err
		},
	}
}

func newHand(streams cli.Streams) *cobra.Command {
	return &cobra.Command{
		Use:   `hand ["QUESTION"]`,
		Short: "Raise a hand: the teacher's board shows it, with your question",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := ""
			if len(args) == 1 {
				q = args[0]
			}
			if _, err := client.RaiseHand(cmd.Context(), q); err != nil {
				return err
			}
			fmt.Fprintln(streams.Out, "✋ Your hand is up; the teacher sees it on the board.")
			return nil
		},
	}
}

func newStatus(streams cli.Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the class you are in, what is waiting to be sent, and what the teacher says",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := client.NewReporter()
			if r == nil {
				fmt.Fprintln(streams.Out, client.ErrNotJoined)
				return nil
			}
			m := r.Membership()
			fmt.Fprintf(streams.Out, "In the class at %s as %q (learner %d) since %s.\n", m.URL, m.Name, m.ID, m.Joined.Format(time.DateTime))
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
			defer cancel()
			if err := r.Flush(ctx); err != nil {
				fmt.Fprintf(streams.Out, "The class server cannot be reached (%v): %d tick(s) queued, sent when it can be.\n", err, r.Pending())
				return nil
			}
			f, err := client.GetFeed(ctx, m)
			if err != nil {
				fmt.Fprintf(streams.Out, "The class server cannot be reached: %v\n", err)
				return nil
			}
			fmt.Fprintf(streams.Out, "Nothing waiting to be sent. Class step: %s. Teacher: %s. Hand up: %v.\n", orNone(f.Step), orNone(f.Broadcast), f.HandOpen)
			return nil
		},
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

var (
	_ = os.Stat
	_ = lab.Defaults
)
