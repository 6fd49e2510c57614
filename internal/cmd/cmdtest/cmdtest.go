// Package cmdtest runs a lab command as the root runs it, on a fake host
// engine (fakedocker), so that each command package can test its flags,
// arguments, output and errors without Docker. AddLab puts the containers
// of a lab on the fake as 'swarmlab up' leaves them.
package cmdtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"
	"github.com/spf13/cobra"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/cmd/labflags"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/docker/fakedocker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// NewCommand is the signature of every lab command's constructor.
type NewCommand func(*slog.Logger, cli.Streams, *labflags.Flags) *cobra.Command

// Result is what one run printed, and its error.
type Result struct {
	Out, Err string
	Error    error
	Connects int // how many times the command opened the engine
}

// Run runs the command newCommand makes under a root with the shared lab
// flags, with args after the program's name ("--name", "lab2", "status"),
// on engine e.
func Run(e docker.Engine, newCommand NewCommand, args ...string) Result {
	var out, errb bytes.Buffer
	var r Result
	streams := cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errb}
	lf := &labflags.Flags{Connect: func() (docker.Engine, error) { r.Connects++; return e, nil }}
	root := &cobra.Command{Use: "swarmlab", SilenceUsage: true, SilenceErrors: true}
	root.SetIn(streams.In)
	root.SetOut(&out)
	root.SetErr(&errb)
	lf.Register(root)
	root.AddCommand(newCommand(slog.New(slog.NewTextHandler(io.Discard, nil)), streams, lf))
	root.SetArgs(args)
	r.Error = root.ExecuteContext(context.Background())
	r.Out, r.Err = out.String(), errb.String()
	return r
}

// Ports are the host ports AddLab publishes.
type Ports = lab.Ports

// AddLab puts a lab of one manager and the given workers on e, as 'swarmlab
// up' makes it: network, node volumes, the registry's volume and the
// containers, each in state, the registry and the manager publishing p on
// 127.0.0.1.
func AddLab(e *fakedocker.Engine, name string, workers int, state string, p Ports) lab.Config {
	cfg := lab.Defaults()
	cfg.Name, cfg.Workers, cfg.Ports = name, workers, p
	labels := func(role, node string) map[string]string {
		return map[string]string{lab.LabelLab: name, lab.LabelRole: role, lab.LabelNode: node}
	}
	bind := func(ports map[int]int) *container.HostConfig {
		hc := &container.HostConfig{PortBindings: nat.PortMap{}}
		for cport, hport := range ports {
			if hport != 0 {
				hc.PortBindings[nat.Port(fmt.Sprintf("%d/tcp", cport))] = []nat.PortBinding{{HostIP: "127.0.0.1", HostPort: strconv.Itoa(hport)}}
			}
		}
		return hc
	}
	e.Add(cfg.ContainerName(lab.RoleRegistry), state, labels(lab.RoleRegistry, lab.RoleRegistry), bind(map[int]int{5000: p.Registry}))
	e.Volumes[cfg.RegistryVolume()] = map[string]string{lab.LabelLab: name}
	for _, n := range cfg.Nodes() {
		var hc *container.HostConfig
		if n.Name == cfg.FrontNode() {
			hc = bind(map[int]int{80: p.Ingress, 9000: p.Visualizer, 1936: p.Stats})
		}
		e.Add(cfg.ContainerName(n.Name), state, labels(n.Role, n.Name), hc)
		e.Volumes[cfg.VolumeName(n.Name)] = map[string]string{lab.LabelLab: name, lab.LabelNode: n.Name}
	}
	e.Mu.Lock()
	e.Networks[cfg.NetworkName()] = fakeNetwork(cfg)
	e.Mu.Unlock()
	return cfg
}

func fakeNetwork(cfg lab.Config) network.Summary {
	return network.Summary{ID: "net-" + cfg.NetworkName(), Name: cfg.NetworkName(), Labels: map[string]string{lab.LabelLab: cfg.Name},
		IPAM: network.IPAM{Config: []network.IPAMConfig{{Subnet: "172.28.0.0/24"}}}}
}
