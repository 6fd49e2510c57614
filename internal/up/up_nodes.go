package up

// The steps of Run that make the lab's containers: the checks before, the
// images, the network, the registry, the nodes and the edge forwarder.

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/go-connections/nat"
	"golang.org/x/sync/errgroup"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/lab"
)

func (u *upContext) checkEngine(ctx context.Context) error {
	info, err := u.engine.Info(ctx)
	if err != nil {
		return lab.EngineError(err)
	}
	u.status.Progress("Docker " + info.ServerVersion)
	if u.binPath, u.binSum, err = u.lab.FindBinary(u.opts.ImageBinary, info.OSType, info.Architecture); err != nil {
		return err
	}
	u.inv, err = u.lab.Inventory(ctx)
	return err
}

// checkPorts settles the host ports of this run. A lab that exists keeps
// the ports its containers publish. A default port that something else
// holds, another lab most often, is replaced by a free one near it, and up
// says so; a port the user chose fails early, naming it.
func (u *upContext) checkPorts(ctx context.Context) error {
	var err error
	if u.ep, err = u.lab.EndpointsOf(ctx, u.inv); err != nil {
		return err
	}
	taken := map[int]bool{}
	for _, p := range u.lab.Config.HostPorts(u.ep.Ports) {
		taken[p.Port] = true
	}
	for _, p := range lab.HostPortStates(u.lab.Config, u.ep, u.inv) {
		if p.InUse == nil {
			continue
		}
		_, exists := u.inv.Containers[p.Node]
		field := portField(&u.ep.Ports, p.Key)
		if exists || p.Port != *portField(&u.movable, p.Key) {
			return cli.WithHint(fmt.Errorf("port %s:%d for the %s is in use", u.ep.Bind, p.Port, p.What), fmt.Sprintf("free the port, or choose another with --%s-port (or ports.%s in the config file); %s lists what is in use", p.Key, p.Key, u.lab.Config.Cmd("doctor")))
		}
		free, err := freePortNear(u.ep.Bind, p.Port, taken)
		if err != nil {
			return cli.WithHint(fmt.Errorf("port %s:%d for the %s is in use, and no port near it is free: %v", u.ep.Bind, p.Port, p.What, err), fmt.Sprintf("choose one with --%s-port", p.Key))
		}
		taken[free] = true
		*field = free
		u.status.Infof("port %d for the %s is in use: this lab publishes it on %d instead (--%s-port chooses one)", p.Port, p.What, free, p.Key)
	}
	return nil
}

// portField is the port of a HostPort.Key.
func portField(p *lab.Ports, key string) *int {
	switch key {
	case "registry":
		return &p.Registry
	case "ingress":
		return &p.Ingress
	case "visualizer":
		return &p.Visualizer
	}
	return &p.Stats
}

// freePortNear finds a port above port that addr can bind and that the
// lab does not already use, so that a second lab's ports read like the
// first's (5001 beside 5000).
func freePortNear(addr string, port int, taken map[int]bool) (int, error) {
	var err error
	for p := port + 1; p <= port+200 && p <= 65535; p++ {
		if taken[p] {
			continue
		}
		if err = lab.PortFree(addr, p); err == nil {
			return p, nil
		}
	}
	return 0, err
}

func (u *upContext) prepareNodeImage(ctx context.Context) error {
	img, note, err := u.lab.NodeImage(ctx, true)
	img, note, err = u.classNodeImage(ctx, img, note, err)
	if missing := (*lab.NoNodeImageError)(nil); errors.As(err, &missing) {
		if err = u.lab.BuildNodeImageForUp(ctx, missing); err == nil {
			img = lab.LocalNodeImage
		}
	}
	if err != nil {
		return err
	}
	if note != "" {
		u.status.Infof("%s", note)
	}
	u.nodeImage = img
	u.status.Progress(img)
	trials, err := lab.EngineTrials(ctx, u.engine, img, u.lab.Config.Name)
	if err != nil {
		return err
	}
	u.privileged, u.init = trials.Privileged, trials.Init
	if !u.privileged {
		u.status.Infof("this engine refuses --privileged; nodes run with explicit capabilities instead (all but SYS_RESOURCE)")
	}
	if !u.init {
		u.status.Infof("this engine has no docker-init; nodes run dockerd as PID 1, which leaves ended tasks' processes defunct")
	}
	return nil
}

func (u *upContext) buildImages(ctx context.Context) error {
	imgs := []lab.Image{lab.RegistryImage}
	if u.lab.Config.Managers > 1 {
		imgs = append(imgs, lab.EdgeImage)
	}
	if !u.opts.Bare {
		imgs = append(imgs, lab.AppImages...)
	}
	return u.lab.BuildImages(ctx, u.binPath, u.binSum, imgs)
}

func (u *upContext) createNetwork(ctx context.Context) error {
	if u.inv.Network != nil {
		u.subnet = u.inv.Subnet
		u.status.Progress("exists, " + u.subnet.String())
		return nil
	}
	var lastErr error
	for _, sn := range u.lab.Config.CandidateSubnets() {
		resp, err := u.engine.NetworkCreate(ctx, u.lab.Config.NetworkName(), network.CreateOptions{
			Driver: "bridge",
			IPAM:   &network.IPAM{Config: []network.IPAMConfig{{Subnet: sn.String()}}},
			Labels: map[string]string{lab.LabelLab: u.lab.Config.Name},
		})
		if err != nil {
			lastErr = err
			if strings.Contains(err.Error(), "overlap") && u.lab.Config.Subnet == "" {
				continue // another network holds it: try the next /24
			}
			break
		}
		id := resp.ID
		u.madeHere(func(ctx context.Context) error { return u.engine.NetworkRemove(ctx, id) })
		u.subnet = sn
		u.status.Progress(sn.String())
		return nil
	}
	return cli.WithHint(lastErr, "choose a free subnet with --subnet (for example 10.99.0.0/24)")
}

// ensureVolume creates a labelled volume unless it exists.
func (u *upContext) ensureVolume(ctx context.Context, name, node string) error {
	if u.inv.Volumes[name] {
		return nil
	}
	_, err := u.engine.VolumeCreate(ctx, volume.CreateOptions{Name: name, Labels: map[string]string{lab.LabelLab: u.lab.Config.Name, lab.LabelNode: node}})
	if err != nil {
		return fmt.Errorf("create volume %s: %w", name, err)
	}
	if node != lab.RoleRegistry { // registry data outlives a failed run, as it outlives down
		u.madeHere(func(ctx context.Context) error { return u.engine.VolumeRemove(ctx, name, true) })
	}
	return nil
}

// ensureContainer starts a container, creating it first if it is missing.
func (u *upContext) ensureContainer(ctx context.Context, node string, cfg *container.Config, hc *container.HostConfig, ip netip.Addr) error {
	if c, ok := u.inv.Containers[node]; ok {
		if c.State == container.StateRunning {
			return nil
		}
		if err := u.engine.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
			return fmt.Errorf("start %s: %w", node, err)
		}
		return nil
	}
	nc := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
		u.lab.Config.NetworkName(): {IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: ip.String()}, Aliases: []string{node}},
	}}
	name := u.lab.Config.ContainerName(node)
	created, err := u.engine.ContainerCreate(ctx, cfg, hc, nc, nil, name)
	if err != nil {
		if strings.Contains(err.Error(), "already in use") {
			return cli.WithHint(fmt.Errorf("a container named %s exists but does not belong to lab %q", name, u.lab.Config.Name), "remove or rename that container, or give this lab another --name")
		}
		return fmt.Errorf("create %s: %w", name, err)
	}
	id := created.ID
	u.madeHere(func(ctx context.Context) error {
		return u.engine.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	})
	if err := u.engine.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		if strings.Contains(err.Error(), "port is already allocated") || strings.Contains(err.Error(), "address already in use") {
			return cli.WithHint(fmt.Errorf("start %s: %w", name, err), "a host port is taken: free it or choose other ports (see "+u.lab.Config.Cmd("up --help")+")")
		}
		return fmt.Errorf("start %s: %w", name, err)
	}
	return nil
}

func (u *upContext) labels(node, role string) map[string]string {
	return map[string]string{lab.LabelLab: u.lab.Config.Name, lab.LabelRole: role, lab.LabelNode: node}
}

// portMap publishes container ports (keys) on host ports (values); a host
// port 0 is left unpublished.
func (u *upContext) portMap(pairs map[int]int) (nat.PortSet, nat.PortMap) {
	set, pm := nat.PortSet{}, nat.PortMap{}
	for cport, hport := range pairs {
		if hport == 0 {
			continue
		}
		p := nat.Port(strconv.Itoa(cport) + "/tcp")
		set[p] = struct{}{}
		pm[p] = []nat.PortBinding{{HostIP: u.ep.Bind, HostPort: strconv.Itoa(hport)}}
	}
	return set, pm
}

// frontPorts publishes :80, :9000 and :1936 of the front node on the host.
func (u *upContext) frontPorts() (nat.PortSet, nat.PortMap) {
	return u.portMap(map[int]int{80: u.ep.Ports.Ingress, 9000: u.ep.Ports.Visualizer, 1936: u.ep.Ports.Stats})
}

func (u *upContext) startRegistry(ctx context.Context) error {
	if err := u.ensureVolume(ctx, u.lab.Config.RegistryVolume(), lab.RoleRegistry); err != nil {
		return err
	}
	exposed, ports := u.portMap(map[int]int{5000: u.ep.Ports.Registry})
	cfg := &container.Config{
		Image: lab.RegistryImage.Repo + ":latest", Hostname: "registry",
		Labels: u.labels(lab.RoleRegistry, lab.RoleRegistry), ExposedPorts: exposed,
	}
	hc := &container.HostConfig{
		PortBindings: ports,
		Mounts:       []mount.Mount{{Type: mount.TypeVolume, Source: u.lab.Config.RegistryVolume(), Target: "/var/lib/registry"}},
	}
	if err := u.ensureContainer(ctx, lab.RoleRegistry, cfg, hc, lab.NodeIP(u.subnet, lab.Node{Role: lab.RoleRegistry})); err != nil {
		return err
	}
	return lab.WaitHTTP(ctx, u.ep.URL(u.ep.Ports.Registry)+"/v2/", lab.HTTPPatience, func(string) {})
}

// nodeSpec is the container of a Docker-in-Docker node.
func (u *upContext) nodeSpec(n lab.Node) (*container.Config, *container.HostConfig) {
	cfg := &container.Config{
		Image:    u.nodeImage,
		Hostname: n.Name,
		Cmd:      []string{"--insecure-registry", lab.NodeRegistry},
		Env:      []string{"DOCKER_TLS_CERTDIR="}, // the official image would otherwise set up TLS on 2376
		Labels:   u.labels(n.Name, n.Role),
		Tty:      true,
	}
	hc := &container.HostConfig{
		Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: u.lab.Config.VolumeName(n.Name), Target: "/var/lib/docker"}},
		// A tmpfs /run drops dockerd's pid file and sockets on stop, so a
		// stopped node starts again cleanly.
		Tmpfs: map[string]string{"/run": "rw,exec"},
	}
	if u.init {
		hc.Init = &u.init
	}
	if u.privileged {
		hc.Privileged = true
	} else {
		hc.CapAdd = []string{"ALL"}
		hc.CapDrop = []string{"SYS_RESOURCE"}
		hc.SecurityOpt = []string{"seccomp=unconfined", "apparmor=unconfined"}
		// systempaths=unconfined, as the CLI sends it: nothing masked or read-only in /proc and /sys.
		hc.MaskedPaths, hc.ReadonlyPaths = []string{}, []string{}
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: "/sys/fs/cgroup", Target: "/sys/fs/cgroup"})
	}
	if n.Role == lab.RoleManager {
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: u.stackDir, Target: "/stack"})
	}
	if n.Name == u.lab.Config.FrontNode() {
		cfg.ExposedPorts, hc.PortBindings = u.frontPorts()
	}
	return cfg, hc
}

func (u *upContext) startNodes(ctx context.Context) error {
	var err error
	if u.stackDir == "" { // a hands-on run chose its own (prepareHandsOn)
		u.stackDir, err = u.lab.Config.StackDirPath()
	} else {
		u.stackDir, err = filepath.Abs(u.stackDir)
	}
	if err != nil {
		return fmt.Errorf("stack folder: %w", err)
	}
	if err := checkMountable(runtime.GOOS, u.stackDir); err != nil {
		return err
	}
	// Managers before workers, as in Start: a restarted worker must find its
	// managers' gossip listening.
	for _, role := range []string{lab.RoleManager, lab.RoleWorker} {
		var names []string
		restarted := false
		var g errgroup.Group
		for _, n := range u.lab.Config.Nodes() {
			if n.Role != role {
				continue
			}
			names = append(names, n.Name)
			if c, ok := u.inv.Containers[n.Name]; ok && c.State != container.StateRunning {
				restarted = true
			}
			g.Go(func() error {
				if err := u.ensureVolume(ctx, u.lab.Config.VolumeName(n.Name), n.Name); err != nil {
					return err
				}
				cfg, hc := u.nodeSpec(n)
				return mountErr(u.ensureContainer(ctx, n.Name, cfg, hc, lab.NodeIP(u.subnet, n)), u.stackDir)
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		if role == lab.RoleManager && restarted {
			inv, err := u.lab.Inventory(ctx)
			if err != nil {
				return err
			}
			if err := u.lab.WaitSwarmSettled(ctx, inv, names, lab.EnginePatience, u.status.Progress); err != nil {
				return err
			}
		}
	}
	return nil // the step reads the inventory again (readInventory)
}

// startEdge runs the forwarder that publishes the front ports for a lab
// with several managers.
func (u *upContext) startEdge(ctx context.Context) error {
	var targets []string
	for _, n := range u.lab.Config.Nodes() {
		if n.Role == lab.RoleManager {
			targets = append(targets, n.Name)
		}
	}
	exposed, ports := u.frontPorts()
	cfg := &container.Config{
		Image: lab.EdgeImage.Repo + ":latest", Hostname: lab.RoleEdge, Labels: u.labels(lab.RoleEdge, lab.RoleEdge), ExposedPorts: exposed,
		Cmd: []string{"--port", "80", "--port", "9000", "--port", "1936", "--targets", strings.Join(targets, ",")},
	}
	return u.ensureContainer(ctx, lab.RoleEdge, cfg, &container.HostConfig{PortBindings: ports}, lab.NodeIP(u.subnet, lab.Node{Role: lab.RoleEdge}))
}
