package ingress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
)

// DockerAPI is the part of the Docker Engine API discovery reads. The real
// implementation is *client.Client; tests use a fake.
type DockerAPI interface {
	// ServiceList returns every swarm service (manager only).
	ServiceList(ctx context.Context, options swarm.ServiceListOptions) ([]swarm.Service, error)
	// TaskList returns the tasks matching options.Filters.
	TaskList(ctx context.Context, options swarm.TaskListOptions) ([]swarm.Task, error)
	// ContainerInspect returns a container by ID or ID prefix; the
	// ingress inspects itself (its hostname) to learn its networks.
	ContainerInspect(ctx context.Context, containerID string) (container.InspectResponse, error)
	// Events streams engine events until ctx ends; the error channel
	// reports a broken stream.
	Events(ctx context.Context, options events.ListOptions) (<-chan events.Message, <-chan error)
}

var _ DockerAPI = (*client.Client)(nil)

// NewDockerClient connects to the engine from DOCKER_HOST (default the
// socket) and negotiates the API version, so an older engine (API 1.41)
// works.
func NewDockerClient() (*client.Client, error) {
	return client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
}

// Service is a routed service as discovery sees it.
type Service struct {
	ID, Name string
	Settings Settings
	// Endpoints lists "ip:port" per backend port.
	Endpoints map[int][]string
}

// Discovery finds the services to route from the Docker API.
type Discovery struct {
	API DockerAPI
	// Hostname is the ingress's own container hostname (its short ID).
	Hostname string
	// Networks, when set, are the network names or IDs to route on
	// (INGRESS_NETWORKS); otherwise the ingress's own networks.
	Networks []string
	Logger   *slog.Logger

	own    map[string]bool // network IDs and names shared with the ingress
	warned map[string]string
}

// ownNetworks finds the networks the ingress is attached to.
func (d *Discovery) ownNetworks(ctx context.Context) (map[string]bool, error) {
	if len(d.Networks) > 0 {
		m := map[string]bool{}
		for _, n := range d.Networks {
			m[n] = true
		}
		return m, nil
	}
	if d.own != nil {
		return d.own, nil
	}
	c, err := d.API.ContainerInspect(ctx, d.Hostname)
	if err != nil {
		return nil, fmt.Errorf("inspect own container %q to find its networks (set INGRESS_NETWORKS to skip this): %w", d.Hostname, err)
	}
	m := map[string]bool{}
	if c.NetworkSettings != nil {
		for name, ep := range c.NetworkSettings.Networks {
			if name == "ingress" || name == "bridge" || name == "host" || name == "docker_gwbridge" {
				continue // the routing mesh and local networks do not reach tasks
			}
			m[name] = true
			if ep != nil && ep.NetworkID != "" {
				m[ep.NetworkID] = true
			}
		}
	}
	if len(m) == 0 {
		return nil, errors.New("the ingress is on no overlay network: attach it to the services' network or set INGRESS_NETWORKS")
	}
	d.own = m
	return m, nil
}

// Services returns the opted-in services with their running tasks'
// addresses on a network shared with the ingress. A service with a bad
// setting is logged and left out; the others are returned.
func (d *Discovery) Services(ctx context.Context) ([]Service, error) {
	nets, err := d.ownNetworks(ctx)
	if err != nil {
		return nil, err
	}
	svcs, err := d.API.ServiceList(ctx, swarm.ServiceListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	tasks, err := d.API.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("desired-state", "running"))})
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	ips := map[string][]string{} // service ID -> task IPs
	self := ""
	for _, t := range tasks {
		if t.Status.State != swarm.TaskStateRunning {
			continue
		}
		if cs := t.Status.ContainerStatus; cs != nil && d.Hostname != "" && strings.HasPrefix(cs.ContainerID, d.Hostname) {
			self = t.ServiceID
		}
		for _, na := range t.NetworksAttachments {
			if na.Network.Spec.Ingress || !(nets[na.Network.ID] || nets[na.Network.Spec.Name]) || len(na.Addresses) == 0 {
				continue
			}
			ip, _, err := net.ParseCIDR(na.Addresses[0])
			if err != nil {
				continue
			}
			ips[t.ServiceID] = append(ips[t.ServiceID], ip.String())
			break // one address per task, even on several shared networks
		}
	}
	if d.warned == nil {
		d.warned = map[string]string{}
	}
	var out []Service
	for _, s := range svcs {
		if s.ID == self || s.Spec.TaskTemplate.ContainerSpec == nil {
			continue
		}
		if len(ips[s.ID]) == 0 && !onNetwork(s, nets) {
			continue // not reachable from here; a service scaled to 0 stays (503)
		}
		name := s.Spec.Name
		settings, err := ParseSettings(s.Spec.TaskTemplate.ContainerSpec.Env, s.Spec.Labels)
		if errors.Is(err, ErrNotOptedIn) {
			continue
		}
		if err != nil {
			// Log once per distinct error, not every resync.
			if d.warned[s.ID] != err.Error() {
				d.warned[s.ID] = err.Error()
				d.Logger.Error("service skipped: bad ingress setting", "service", name, "err", err)
			}
			continue
		}
		delete(d.warned, s.ID)
		addrs := ips[s.ID]
		slices.Sort(addrs)
		svc := Service{ID: s.ID, Name: name, Settings: settings, Endpoints: map[int][]string{}}
		for _, p := range settings.Ports {
			eps := make([]string, len(addrs))
			for i, ip := range addrs {
				eps[i] = net.JoinHostPort(ip, strconv.Itoa(p))
			}
			svc.Endpoints[p] = eps
		}
		out = append(out, svc)
	}
	slices.SortFunc(out, func(a, b Service) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// onNetwork reports whether a service is attached to one of nets.
func onNetwork(s swarm.Service, nets map[string]bool) bool {
	for _, n := range s.Spec.TaskTemplate.Networks {
		if nets[n.Target] {
			return true
		}
	}
	for _, v := range s.Endpoint.VirtualIPs {
		if nets[v.NetworkID] {
			return true
		}
	}
	return false
}

// Watch sends on trigger (without blocking) whenever the engine reports a
// service, container, node or network event, reconnecting with backoff
// until ctx ends. Task changes have no events: the periodic resync covers
// them.
func (d *Discovery) Watch(ctx context.Context, trigger chan<- struct{}) {
	f := filters.NewArgs(filters.Arg("type", string(events.ServiceEventType)), filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("type", string(events.NodeEventType)), filters.Arg("type", string(events.NetworkEventType)))
	backoff := time.Second
	for ctx.Err() == nil {
		sctx, cancel := context.WithCancel(ctx)
		msgs, errs := d.API.Events(sctx, events.ListOptions{Filters: f})
		start := time.Now()
	stream:
		for {
			select {
			case <-ctx.Done():
				cancel()
				return
			case <-msgs:
				select {
				case trigger <- struct{}{}:
				default:
				}
			case err := <-errs:
				if ctx.Err() == nil {
					d.Logger.Warn("docker event stream broke; resync continues, reconnecting", "err", err)
				}
				break stream
			}
		}
		cancel()
		if time.Since(start) > time.Minute {
			backoff = time.Second
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}
