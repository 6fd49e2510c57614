package status

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// NewCommand returns the status command.
func NewCommand(logger *slog.Logger, streams cli.Streams, lf *labflags.Flags) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "status",
		Short: "Show the lab's nodes (role, state, availability, leader) and services",
		Args:  cobra.NoArgs,
		RunE: lf.RunE(logger, streams, func(cmd *cobra.Command, args []string, l *lab.Lab) error {
			st, err := l.ReadStatus(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(streams.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			Print(streams, st)
			return nil
		}),
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// Print writes the status as tables.
func Print(streams cli.Streams, st lab.Status) {
	w := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "LAB %s\tregistry: %s\n", st.Name, dash(st.Registry))
	fmt.Fprintf(w, "PORTS\t%s\n", ports(st.Endpoints))
	if st.Heartbeat != nil {
		fmt.Fprintf(w, "HEARTBEAT\t%s\n", heartbeat(*st.Heartbeat))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "NODE\tROLE\tCONTAINER\tIP\tSTATUS\tAVAILABILITY\tMANAGER STATUS\tENGINE")
	for _, n := range st.Nodes {
		leader := ""
		if n.Leader {
			leader = "Leader"
		} else if n.Role == lab.RoleManager && n.State == "ready" {
			leader = "Reachable"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n.Name, n.Role, n.Container, dash(n.IP), n.State, dash(n.Availability), dash(leader), dash(n.Engine))
	}
	if st.SwarmErr != "" {
		fmt.Fprintf(w, "\nswarm: %s\n", st.SwarmErr)
	}
	if len(st.Services) > 0 {
		fmt.Fprintln(w, "\nSERVICE\tMODE\tREPLICAS\tIMAGE")
		for _, s := range st.Services {
			fmt.Fprintf(w, "%s\t%s\t%d/%d\t%s\n", s.Name, s.Mode, s.Running, s.Desired, s.Image)
		}
	}
	w.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ports lists the host ports the lab publishes, on its address.
func ports(ep lab.Endpoints) string {
	var out []string
	for _, p := range []struct {
		what string
		port int
	}{{"registry", ep.Ports.Registry}, {"ingress", ep.Ports.Ingress}, {"visualizer", ep.Ports.Visualizer}, {"stats", ep.Ports.Stats}} {
		if p.port != 0 {
			out = append(out, fmt.Sprintf("%s %d", p.what, p.port))
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ", ") + " on " + ep.Bind
}

// heartbeat says what the swarm's heartbeat is, who chose it and why.
func heartbeat(hb lab.HeartbeatChoice) string {
	switch hb.By {
	case lab.HeartbeatByUser:
		return fmt.Sprintf("%s, given: %s", hb.Period, hb.Why)
	case lab.HeartbeatBySwarmlab:
		return fmt.Sprintf("%s, chosen by swarmlab: %s", hb.Period, hb.Why)
	}
	return fmt.Sprintf("%s (no reason recorded: a swarm made before swarmlab recorded one)", hb.Period)
}
