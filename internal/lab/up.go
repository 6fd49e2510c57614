package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/go-connections/nat"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/stack"
)

// UpOptions tune one run of Up.
type UpOptions struct {
	Bare        bool   // stop once the swarm is formed
	Retain      bool   // keep what this run created when it fails
	ImageBinary string // static Linux swarmlab binary for the images; default this executable
}

// step is one named action of Up, shown as one status line.
type step struct {
	name string
	run  func(ctx context.Context) error
}

// upRun carries what the steps of one Up share.
type upRun struct {
	*Lab
	opts       UpOptions
	inv        Inventory
	subnet     netip.Prefix
	nodeImage  string
	privileged bool
	init       bool // run nodes under the engine's init, which reaps zombies
	binPath    string
	binSum     string
	ipvs       *bool        // whether the nodes' kernel has IPVS; nil until checked
	stackDir   string       // mounted at /stack in the managers
	mgr        docker.Swarm // the first manager's engine, opened once per run

	mu      sync.Mutex
	created []func(context.Context) error // undo, newest last
}

// manager returns a client to the first manager's engine, which every swarm
// step of one run shares instead of opening its own.
func (r *upRun) manager() (docker.Swarm, error) {
	if r.mgr == nil {
		cl, err := r.NodeClient(r.inv.Containers[r.Config.Nodes()[0].Name].ID)
		if err != nil {
			return nil, err
		}
		r.mgr = cl
	}
	return r.mgr, nil
}

func (r *upRun) undo(f func(context.Context) error) {
	r.mu.Lock()
	r.created = append(r.created, f)
	r.mu.Unlock()
}

// Up creates the lab, or repairs what is missing of it, and reports each
// step. On failure it removes what this run created, unless opts.Retain.
func (l *Lab) Up(ctx context.Context, opts UpOptions) (err error) {
	if err := l.Config.Validate(); err != nil {
		return cli.WithHint(err, "fix the flags or the config file")
	}
	r := &upRun{Lab: l, opts: opts}
	steps := []step{
		{"Checking the Docker engine", r.checkEngine},
		{"Checking host ports", r.checkPorts},
		{"Preparing the node image", r.prepareNodeImage},
		{"Building swarmlab images", r.buildImages},
		{"Creating network " + l.Config.NetworkName(), r.createNetwork},
		{"Starting the registry", r.startRegistry},
		{"Starting nodes", r.startNodes},
		{"Waiting for the nodes' Docker engines", r.waitEngines},
		{"Initialising the swarm", r.initSwarm},
		{"Joining nodes to the swarm", r.joinNodes},
		{"Waiting for every node to be Ready", r.waitReady},
	}
	if l.Config.Managers > 1 {
		steps = append(steps, step{"Starting the edge forwarder to the managers", r.startEdge})
	}
	if !opts.Bare {
		steps = append(steps,
			step{"Pushing images to the registry", r.pushImages},
			step{"Creating overlay network swtest_net", r.createOverlay},
		)
		for _, s := range stack.Stacks {
			s := s
			steps = append(steps, step{"Deploying stack " + s.Name, func(ctx context.Context) error { return r.deploy(ctx, s.Name, s.File) }})
		}
		steps = append(steps, step{"Checking the ingress", r.checkIngress})
	}
	defer func() {
		if r.mgr != nil {
			r.mgr.Close()
		}
		if err == nil || opts.Retain || len(r.created) == 0 {
			return
		}
		l.Status.Start("Removing what this run created (keep it with --retain)")
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		ok := true
		for i := len(r.created) - 1; i >= 0; i-- {
			if uerr := r.created[i](cctx); uerr != nil {
				l.Log.Warn("cleanup", "err", uerr)
				ok = false
			}
		}
		l.Status.End(ok)
	}()
	for _, s := range steps {
		l.Status.Start(s.name)
		if err := s.run(ctx); err != nil {
			l.Status.End(false)
			return fmt.Errorf("%s: %w", strings.ToLower(s.name[:1])+s.name[1:], err)
		}
		l.Status.End(true)
	}
	return nil
}

func (r *upRun) checkEngine(ctx context.Context) error {
	info, err := r.Engine.Info(ctx)
	if err != nil {
		return engineErr(err)
	}
	r.Status.Progress("Docker " + info.ServerVersion)
	if r.binPath, r.binSum, err = r.FindBinary(r.opts.ImageBinary, info.OSType, info.Architecture); err != nil {
		return err
	}
	r.inv, err = r.Inventory(ctx)
	return err
}

// checkPorts fails early, naming the port, when a host port the lab needs
// is taken by something that is not this lab.
func (r *upRun) checkPorts(ctx context.Context) error {
	for _, p := range r.Config.HostPorts() {
		if p.Port == 0 {
			continue
		}
		if _, ours := r.inv.Containers[p.Node]; ours {
			continue // our own container holds it, or will again when started
		}
		if err := portFree(r.Config.Bind, p.Port); err != nil {
			return cli.Hintf(fmt.Sprintf("free the port, or choose another with --%s-port (or ports.%s in the config file); 'swarmlab doctor' lists what is in use", p.Key, p.Key),
				"port %s:%d for the %s is in use", r.Config.Bind, p.Port, p.What)
		}
	}
	return nil
}

// portFree reports whether addr:port can be bound now.
func portFree(addr string, port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return ln.Close()
}

func (r *upRun) prepareNodeImage(ctx context.Context) error {
	img, err := r.resolveNodeImage(ctx)
	if err != nil {
		return err
	}
	r.nodeImage = img
	r.Status.Progress(img)
	r.privileged, err = ProbePrivileged(ctx, r.Engine, img, r.Config.Name)
	if err != nil {
		return err
	}
	if !r.privileged {
		r.Status.Infof("this engine refuses --privileged; nodes run with explicit capabilities instead (all but SYS_RESOURCE)")
	}
	if r.init = ProbeInit(ctx, r.Engine, img, r.Config.Name); !r.init {
		r.Status.Infof("this engine has no docker-init; nodes run dockerd as PID 1, which leaves ended tasks' processes defunct")
	}
	return nil
}

// ProbePrivileged reports whether the engine can start a privileged
// container from img, by trying a throwaway one. Some engines (this
// project's CI among them) lack a capability in their bounding set, and
// privileged mode asks for all of them.
func ProbePrivileged(ctx context.Context, e docker.Engine, img, labName string) (bool, error) {
	c, err := e.ContainerCreate(ctx, &container.Config{Image: img, Entrypoint: []string{"true"}, Labels: map[string]string{LabelLab + ".probe": labName}},
		&container.HostConfig{Privileged: true}, nil, nil, "")
	if err != nil {
		return false, fmt.Errorf("probe container: %w", err)
	}
	defer e.ContainerRemove(context.WithoutCancel(ctx), c.ID, container.RemoveOptions{Force: true})
	err = e.ContainerStart(ctx, c.ID, container.StartOptions{})
	if err == nil {
		return true, nil
	}
	msg := err.Error()
	if strings.Contains(msg, "operation not permitted") || strings.Contains(msg, "apply caps") {
		return false, nil
	}
	return false, fmt.Errorf("probe container: %w", err)
}

func (r *upRun) buildImages(ctx context.Context) error {
	imgs := []Image{RegistryImage}
	if r.Config.Managers > 1 {
		imgs = append(imgs, EdgeImage)
	}
	if !r.opts.Bare {
		imgs = append(imgs, AppImages...)
	}
	return r.BuildImages(ctx, r.binPath, r.binSum, imgs)
}

func (r *upRun) createNetwork(ctx context.Context) error {
	if r.inv.Network != nil {
		r.subnet = r.inv.Subnet
		r.Status.Progress("exists, " + r.subnet.String())
		return nil
	}
	var lastErr error
	for _, sn := range r.Config.candidateSubnets() {
		resp, err := r.Engine.NetworkCreate(ctx, r.Config.NetworkName(), network.CreateOptions{
			Driver: "bridge",
			IPAM:   &network.IPAM{Config: []network.IPAMConfig{{Subnet: sn.String()}}},
			Labels: map[string]string{LabelLab: r.Config.Name},
		})
		if err != nil {
			lastErr = err
			if strings.Contains(err.Error(), "overlap") && r.Config.Subnet == "" {
				continue // another network holds it: try the next /24
			}
			break
		}
		id := resp.ID
		r.undo(func(ctx context.Context) error { return r.Engine.NetworkRemove(ctx, id) })
		r.subnet = sn
		r.Status.Progress(sn.String())
		return nil
	}
	return cli.WithHint(lastErr, "choose a free subnet with --subnet (for example 10.99.0.0/24)")
}

// ensureVolume creates a labelled volume unless it exists.
func (r *upRun) ensureVolume(ctx context.Context, name, node string) error {
	if r.inv.Volumes[name] {
		return nil
	}
	_, err := r.Engine.VolumeCreate(ctx, volume.CreateOptions{Name: name, Labels: map[string]string{LabelLab: r.Config.Name, LabelNode: node}})
	if err != nil {
		return fmt.Errorf("create volume %s: %w", name, err)
	}
	if node != RoleRegistry { // registry data outlives a failed run, as it outlives down
		r.undo(func(ctx context.Context) error { return r.Engine.VolumeRemove(ctx, name, true) })
	}
	return nil
}

// ensureContainer starts a container, creating it first if it is missing.
func (r *upRun) ensureContainer(ctx context.Context, node string, cfg *container.Config, hc *container.HostConfig, ip netip.Addr) error {
	if c, ok := r.inv.Containers[node]; ok {
		if c.State == container.StateRunning {
			return nil
		}
		if err := r.Engine.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
			return fmt.Errorf("start %s: %w", node, err)
		}
		return nil
	}
	nc := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
		r.Config.NetworkName(): {IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: ip.String()}, Aliases: []string{node}},
	}}
	name := r.Config.ContainerName(node)
	created, err := r.Engine.ContainerCreate(ctx, cfg, hc, nc, nil, name)
	if err != nil {
		if strings.Contains(err.Error(), "already in use") {
			return cli.Hintf("remove or rename that container, or give this lab another --name", "a container named %s exists but does not belong to lab %q", name, r.Config.Name)
		}
		return fmt.Errorf("create %s: %w", name, err)
	}
	id := created.ID
	r.undo(func(ctx context.Context) error {
		return r.Engine.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	})
	if err := r.Engine.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		if strings.Contains(err.Error(), "port is already allocated") || strings.Contains(err.Error(), "address already in use") {
			return cli.WithHint(fmt.Errorf("start %s: %w", name, err), "a host port is taken: free it or choose other ports (see 'swarmlab up --help')")
		}
		return fmt.Errorf("start %s: %w", name, err)
	}
	return nil
}

func (r *upRun) labels(node, role string) map[string]string {
	return map[string]string{LabelLab: r.Config.Name, LabelRole: role, LabelNode: node}
}

// frontPorts publishes manager:80, :9000 and :1936 on the host.
func (r *upRun) frontPorts() (nat.PortSet, nat.PortMap) {
	return r.portMap(map[int]int{80: r.Config.Ports.Ingress, 9000: r.Config.Ports.Visualizer, 1936: r.Config.Ports.Stats})
}

// startEdge runs the forwarder that publishes the front ports for a lab
// with several managers.
func (r *upRun) startEdge(ctx context.Context) error {
	var targets []string
	for _, n := range r.Config.Nodes() {
		if n.Role == RoleManager {
			targets = append(targets, n.Name)
		}
	}
	exposed, ports := r.frontPorts()
	cfg := &container.Config{
		Image: EdgeImage.Repo + ":latest", Hostname: RoleEdge, Labels: r.labels(RoleEdge, RoleEdge), ExposedPorts: exposed,
		Cmd: []string{"--port", "80", "--port", "9000", "--port", "1936", "--targets", strings.Join(targets, ",")},
	}
	return r.ensureContainer(ctx, RoleEdge, cfg, &container.HostConfig{PortBindings: ports}, NodeIP(r.subnet, Node{Role: RoleEdge}))
}

func (r *upRun) portMap(pairs map[int]int) (nat.PortSet, nat.PortMap) {
	set, pm := nat.PortSet{}, nat.PortMap{}
	for cport, hport := range pairs {
		if hport == 0 {
			continue
		}
		p := nat.Port(strconv.Itoa(cport) + "/tcp")
		set[p] = struct{}{}
		pm[p] = []nat.PortBinding{{HostIP: r.Config.Bind, HostPort: strconv.Itoa(hport)}}
	}
	return set, pm
}

func (r *upRun) startRegistry(ctx context.Context) error {
	if err := r.ensureVolume(ctx, r.Config.RegistryVolume(), RoleRegistry); err != nil {
		return err
	}
	exposed, ports := r.portMap(map[int]int{5000: r.Config.Ports.Registry})
	cfg := &container.Config{
		Image: RegistryImage.Repo + ":latest", Hostname: "registry",
		Labels: r.labels(RoleRegistry, RoleRegistry), ExposedPorts: exposed,
	}
	hc := &container.HostConfig{
		PortBindings: ports,
		Mounts:       []mount.Mount{{Type: mount.TypeVolume, Source: r.Config.RegistryVolume(), Target: "/var/lib/registry"}},
	}
	if err := r.ensureContainer(ctx, RoleRegistry, cfg, hc, NodeIP(r.subnet, Node{Role: RoleRegistry})); err != nil {
		return err
	}
	return waitHTTP(ctx, r.Config.URL(r.Config.Ports.Registry)+"/v2/", 30*time.Second)
}

// StackDir returns the folder mounted at /stack: the configured one, else
// ./stack when it holds the stack files (a checkout of swarmlab), else the
// lab's own copy of the built-in files, written on first use.
func (c Config) StackDirPath() (string, error) {
	if c.StackDir != "" {
		return filepath.Abs(c.StackDir)
	}
	if _, err := os.Stat(filepath.Join("stack", "webapi.yml")); err == nil {
		return filepath.Abs("stack")
	}
	dir := filepath.Join(dataHome(), "swarmlab", c.Name, "stack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for _, s := range stack.Stacks {
		p := filepath.Join(dir, s.File)
		if _, err := os.Stat(p); err == nil {
			continue // the learner may have edited it
		}
		data, _ := stack.Files.ReadFile(s.File)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func dataHome() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return d
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share")
	}
	return os.TempDir()
}

// nodeSpec is the container of a Docker-in-Docker node.
func (r *upRun) nodeSpec(n Node) (*container.Config, *container.HostConfig) {
	cfg := &container.Config{
		Image:    r.nodeImage,
		Hostname: n.Name,
		Cmd:      []string{"--insecure-registry", "registry:5000"},
		Env:      []string{"DOCKER_TLS_CERTDIR="}, // the official image would otherwise set up TLS on 2376
		Labels:   r.labels(n.Name, n.Role),
		Tty:      true,
	}
	hc := &container.HostConfig{
		Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: r.Config.VolumeName(n.Name), Target: "/var/lib/docker"}},
		// A tmpfs /run drops dockerd's pid file and sockets on stop, so a
		// stopped node starts again cleanly.
		Tmpfs: map[string]string{"/run": "rw,exec"},
	}
	if r.init {
		hc.Init = &r.init
	}
	if r.privileged {
		hc.Privileged = true
	} else {
		hc.CapAdd = []string{"ALL"}
		hc.CapDrop = []string{"SYS_RESOURCE"}
		hc.SecurityOpt = []string{"seccomp=unconfined", "apparmor=unconfined"}
		// systempaths=unconfined, as the CLI sends it: nothing masked or read-only in /proc and /sys.
		hc.MaskedPaths, hc.ReadonlyPaths = []string{}, []string{}
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: "/sys/fs/cgroup", Target: "/sys/fs/cgroup"})
	}
	if n.Role == RoleManager {
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: r.stackDir, Target: "/stack"})
	}
	if n.Name == r.Config.FrontNode() {
		cfg.ExposedPorts, hc.PortBindings = r.frontPorts()
	}
	return cfg, hc
}

func (r *upRun) startNodes(ctx context.Context) error {
	var err error
	if r.stackDir, err = r.Config.StackDirPath(); err != nil {
		return fmt.Errorf("stack folder: %w", err)
	}
	// Managers before workers, as in Start: a restarted worker must find its
	// managers' gossip listening.
	restarted := false
	for _, role := range []string{RoleManager, RoleWorker} {
		var nodes []Node
		for _, n := range r.Config.Nodes() {
			if n.Role == role {
				nodes = append(nodes, n)
				if c, ok := r.inv.Containers[n.Name]; ok && c.State != container.StateRunning && role == RoleManager {
					restarted = true
				}
			}
		}
		errs := make([]error, len(nodes))
		var wg sync.WaitGroup
		for i, n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := r.ensureVolume(ctx, r.Config.VolumeName(n.Name), n.Name); err != nil {
					errs[i] = err
					return
				}
				cfg, hc := r.nodeSpec(n)
				errs[i] = r.ensureContainer(ctx, n.Name, cfg, hc, NodeIP(r.subnet, n))
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		if role == RoleManager && restarted {
			inv, err := r.Inventory(ctx)
			if err != nil {
				return err
			}
			if err := r.waitManagers(ctx, inv, time.Minute); err != nil {
				return err
			}
		}
	}
	r.inv, err = r.Inventory(ctx)
	return err
}

func (r *upRun) waitEngines(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	nodes := r.Config.Nodes()
	var ready sync.Map
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := r.inv.Containers[n.Name].ID
			errs[i] = poll(ctx, 250*time.Millisecond, func() (bool, error) {
				cl, err := r.NodeClient(id)
				if err != nil {
					return false, err
				}
				defer cl.Close()
				if _, err := cl.Info(ctx); err != nil {
					return false, nil
				}
				ready.Store(n.Name, true)
				count := 0
				ready.Range(func(any, any) bool { count++; return true })
				r.Status.Progress(fmt.Sprintf("%d/%d", count, len(nodes)))
				return true, nil
			})
			if errs[i] != nil {
				errs[i] = fmt.Errorf("the engine in %s did not answer: %w (see 'docker logs %s')", n.Name, errs[i], r.Config.ContainerName(n.Name))
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (r *upRun) initSwarm(ctx context.Context) error {
	first := r.Config.Nodes()[0]
	cl, err := r.manager()
	if err != nil {
		return err
	}
	info, err := cl.Info(ctx)
	if err != nil {
		return err
	}
	if info.Swarm.LocalNodeState == swarm.LocalNodeStateActive && info.Swarm.ControlAvailable {
		r.Status.Progress("already initialised")
		return r.setHeartbeat(ctx, cl)
	}
	ip := NodeIP(r.subnet, first).String()
	spec := swarm.Spec{}
	spec.Dispatcher.HeartbeatPeriod = r.Config.Heartbeat
	_, err = cl.SwarmInit(ctx, swarm.InitRequest{ListenAddr: "0.0.0.0:2377", AdvertiseAddr: ip, Spec: spec})
	if err != nil {
		return fmt.Errorf("swarm init on %s: %w", first.Name, err)
	}
	return nil
}

// setHeartbeat applies the configured heartbeat to an existing swarm.
func (r *upRun) setHeartbeat(ctx context.Context, cl docker.Swarm) error {
	if r.Config.Heartbeat == 0 {
		return nil
	}
	sw, err := cl.SwarmInspect(ctx)
	if err != nil {
		return err
	}
	if sw.Spec.Dispatcher.HeartbeatPeriod == r.Config.Heartbeat {
		return nil
	}
	sw.Spec.Dispatcher.HeartbeatPeriod = r.Config.Heartbeat
	return cl.SwarmUpdate(ctx, sw.Version, sw.Spec, swarm.UpdateFlags{})
}

func (r *upRun) joinNodes(ctx context.Context) error {
	nodes := r.Config.Nodes()
	first := nodes[0]
	mgr, err := r.manager()
	if err != nil {
		return err
	}
	sw, err := mgr.SwarmInspect(ctx)
	if err != nil {
		return fmt.Errorf("read the join tokens: %w", err)
	}
	remote := NodeIP(r.subnet, first).String() + ":2377"
	// The swarm's own node list says who is already a member.
	list, err := mgr.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return err
	}
	members := map[string]bool{}
	for _, n := range list {
		members[n.ID] = true
	}
	// Managers join one at a time: Raft adds members one by one.
	for _, n := range nodes[1:] {
		if n.Role == RoleManager {
			if err := r.join(ctx, n, members, sw.JoinTokens.Manager, remote); err != nil {
				return err
			}
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(nodes))
	for i, n := range nodes {
		if n.Role != RoleWorker {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.join(ctx, n, members, sw.JoinTokens.Worker, remote)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// join makes n a member of the swarm whose node IDs are members, leaving any
// other swarm first (a node whose volume outlived its manager's).
func (r *upRun) join(ctx context.Context, n Node, members map[string]bool, token, remote string) error {
	cl, err := r.NodeClient(r.inv.Containers[n.Name].ID)
	if err != nil {
		return err
	}
	defer cl.Close()
	info, err := cl.Info(ctx)
	if err != nil {
		return err
	}
	// A node that was just started reconnects for a moment before it is
	// active again; only then can it be told apart from a stranger.
	if info.Swarm.LocalNodeState == swarm.LocalNodeStatePending {
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		_ = poll(wctx, 250*time.Millisecond, func() (bool, error) {
			if i, err := cl.Info(wctx); err == nil {
				info = i
			}
			return info.Swarm.LocalNodeState != swarm.LocalNodeStatePending, nil
		})
		cancel()
	}
	switch info.Swarm.LocalNodeState {
	case swarm.LocalNodeStateInactive:
	case swarm.LocalNodeStateActive:
		if members[info.Swarm.NodeID] {
			return nil
		}
		fallthrough
	default: // another swarm, or a join that never finished
		if err := cl.SwarmLeave(ctx, true); err != nil {
			return fmt.Errorf("%s: leave its old swarm: %w", n.Name, err)
		}
	}
	err = cl.SwarmJoin(ctx, swarm.JoinRequest{
		ListenAddr: "0.0.0.0:2377", AdvertiseAddr: NodeIP(r.subnet, n).String(),
		RemoteAddrs: []string{remote}, JoinToken: token,
	})
	if err != nil {
		return fmt.Errorf("%s: swarm join: %w", n.Name, err)
	}
	return nil
}

func (r *upRun) waitReady(ctx context.Context) error {
	mgr, err := r.manager()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	want := len(r.Config.Nodes())
	var last string
	err = poll(ctx, 250*time.Millisecond, func() (bool, error) {
		nodes, err := mgr.NodeList(ctx, swarm.NodeListOptions{})
		if err != nil {
			return false, err
		}
		ready := map[string]bool{}
		for _, n := range nodes {
			if n.Status.State == swarm.NodeStateReady {
				ready[n.Description.Hostname] = true
			}
		}
		// A node that rejoined leaves its old entry Down; drop those.
		for _, n := range nodes {
			if n.Status.State == swarm.NodeStateDown && ready[n.Description.Hostname] {
				_ = mgr.NodeRemove(ctx, n.ID, swarm.NodeRemoveOptions{Force: true})
			}
		}
		last = fmt.Sprintf("%d/%d Ready", len(ready), want)
		r.Status.Progress(last)
		return len(ready) >= want, nil
	})
	if err != nil {
		return fmt.Errorf("nodes not Ready (%s): %w", last, err)
	}
	return nil
}
