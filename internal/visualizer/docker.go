package visualizer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/client"

	"github.com/swarmlab/swarmlab/internal/visualizer/panel"
)

// DockerAPI is the part of the Docker Engine API the visualizer uses: read
// calls only, so that the page can never change the swarm even by mistake.
// *client.Client satisfies it; tests use a fake.
type DockerAPI interface {
	Info(ctx context.Context) (system.Info, error)
	NodeList(ctx context.Context, options swarm.NodeListOptions) ([]swarm.Node, error)
	ServiceList(ctx context.Context, options swarm.ServiceListOptions) ([]swarm.Service, error)
	TaskList(ctx context.Context, options swarm.TaskListOptions) ([]swarm.Task, error)
	NetworkList(ctx context.Context, options network.ListOptions) ([]network.Summary, error)
	SwarmInspect(ctx context.Context) (swarm.Swarm, error)
	Events(ctx context.Context, options events.ListOptions) (<-chan events.Message, <-chan error)
}

// NewDockerClient connects to the engine named by DOCKER_HOST (default the
// local socket) and negotiates the API version, since the lab's engines speak
// an older API (1.41) than this client's default.
func NewDockerClient() (*client.Client, error) {
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("failed to create Docker client: %w", err)
	}
	return c, nil
}

// ErrNotManager means the engine answers but cannot list the swarm: it is not
// a swarm manager (or not in a swarm at all).
var ErrNotManager = errors.New("this Docker engine is not a swarm manager")

// DockerSource reads the swarm from a manager's Docker engine.
type DockerSource struct {
	api DockerAPI
	log *slog.Logger
	// now is replaceable so that tests can pin the "recent tasks" window.
	now func() time.Time
}

// NewDockerSource reads through api. A nil logger discards logs.
func NewDockerSource(api DockerAPI, logger *slog.Logger) *DockerSource {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &DockerSource{api: api, log: logger, now: time.Now}
}

// Snapshot implements Source.
func (d *DockerSource) Snapshot(ctx context.Context) (State, error) {
	info, err := d.api.Info(ctx)
	if err != nil {
		//lint:ignore ST1005 the page shows this message as is, and Docker is a name
		return State{}, fmt.Errorf("Docker is unreachable: %w", err)
	}
	if !info.Swarm.ControlAvailable {
		state := string(info.Swarm.LocalNodeState)
		if state == "" {
			state = "unknown"
		}
		return State{}, fmt.Errorf("%w (swarm state: %s)", ErrNotManager, state)
	}
	nodes, err := d.api.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return State{}, fmt.Errorf("failed to list nodes: %w", err)
	}
	services, err := d.api.ServiceList(ctx, swarm.ServiceListOptions{Status: true})
	if err != nil {
		return State{}, fmt.Errorf("failed to list services: %w", err)
	}
	tasks, err := d.api.TaskList(ctx, swarm.TaskListOptions{})
	if err != nil {
		return State{}, fmt.Errorf("failed to list tasks: %w", err)
	}
	networks, err := d.api.NetworkList(ctx, network.ListOptions{
		Filters: filters.NewArgs(filters.Arg("driver", "overlay")),
	})
	if err != nil {
		return State{}, fmt.Errorf("failed to list networks: %w", err)
	}
	st := buildState(d.now(), nodes, services, tasks, networks)
	// The tutorial's panel is optional: a swarm without the label, or one
	// that cannot be inspected, shows none.
	if sw, err := d.api.SwarmInspect(ctx); err == nil {
		st.Tutorial = panel.Parse(sw.Spec.Labels[panel.Label])
	}
	return st, nil
}

// Events that can change what the page shows. Swarm sends no task events,
// so container start/die on the manager and the periodic resync cover tasks.
var watchedEvents = filters.NewArgs(
	filters.Arg("type", string(events.NodeEventType)),
	filters.Arg("type", string(events.ServiceEventType)),
	filters.Arg("type", string(events.NetworkEventType)),
	filters.Arg("type", string(events.ContainerEventType)),
	filters.Arg("event", "create"),
	filters.Arg("event", "update"),
	filters.Arg("event", "remove"),
	filters.Arg("event", "destroy"),
	filters.Arg("event", "start"),
	filters.Arg("event", "die"),
)

// Watch implements Source. The event stream is re-opened after an error,
// with a growing delay so that a dead engine is not hammered.
func (d *DockerSource) Watch(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	signal := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	go func() {
		defer close(out)
		backoff := 500 * time.Millisecond
		for ctx.Err() == nil {
			start := time.Now()
			msgs, errs := d.api.Events(ctx, events.ListOptions{Filters: watchedEvents})
			err := func() error {
				for {
					select {
					case <-ctx.Done():
						return nil
					case m := <-msgs:
						d.log.Debug("docker event", "type", m.Type, "action", m.Action)
						signal()
					case err := <-errs:
						return err
					}
				}
			}()
			if ctx.Err() != nil {
				return
			}
			if time.Since(start) > time.Minute {
				backoff = 500 * time.Millisecond // the stream was healthy for a while
			}
			d.log.Debug("docker event stream ended; retrying", "err", err, "in", backoff)
			signal() // events may have been missed meanwhile
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 10*time.Second)
		}
	}()
	return out
}

// buildState maps engine objects to the view model. It copies only what the
// page shows: nothing of a task's container spec but its image.
func buildState(now time.Time, nodes []swarm.Node, services []swarm.Service, tasks []swarm.Task, networks []network.Summary) State {
	st := State{Time: now}

	hostnames := map[string]string{}
	downSince := map[string]time.Time{}
	for _, n := range nodes {
		v := Node{
			ID:           n.ID,
			Hostname:     n.Description.Hostname,
			Role:         string(n.Spec.Role),
			Status:       string(n.Status.State),
			Message:      n.Status.Message,
			Availability: string(n.Spec.Availability),
			Addr:         n.Status.Addr,
			Engine:       n.Description.Engine.EngineVersion,
			CPUs:         float64(n.Description.Resources.NanoCPUs) / 1e9,
			MemoryBytes:  n.Description.Resources.MemoryBytes,
		}
		if v.Hostname == "" {
			v.Hostname = shortID(n.ID)
		}
		if p := n.Description.Platform; p.OS != "" {
			v.Platform = p.OS + "/" + p.Architecture
		}
		if n.ManagerStatus != nil {
			v.Leader = n.ManagerStatus.Leader
		}
		if len(n.Spec.Labels) > 0 {
			v.Labels = make(map[string]string, len(n.Spec.Labels))
			for k, val := range n.Spec.Labels {
				v.Labels[k] = val
			}
		}
		if v.Status != "ready" {
			// UpdatedAt moves when the manager marks the node down, which is
			// the best estimate of when its tasks stopped counting.
			downSince[n.ID] = n.UpdatedAt
		}
		hostnames[n.ID] = v.Hostname
		st.Nodes = append(st.Nodes, v)
	}
	sortNodes(st.Nodes)

	type svcInfo struct {
		name, image string
		hue         int
	}
	svcs := map[string]svcInfo{}
	for _, s := range services {
		v := Service{
			ID:    s.ID,
			Name:  s.Spec.Name,
			Mode:  serviceMode(s.Spec.Mode),
			Hue:   ServiceHue(s.Spec.Name),
			Ports: publishedPorts(s.Endpoint.Ports),
		}
		if cs := s.Spec.TaskTemplate.ContainerSpec; cs != nil {
			v.Image = DisplayImage(cs.Image)
		}
		// Counted from the tasks, not ServiceStatus: the engine still counts
		// the tasks of a node that went Down as running, which shows 4/3.
		v.Running, v.Desired = countTasks(s, tasks)
		if s.ServiceStatus != nil && s.Spec.Mode.Replicated == nil {
			v.Desired = s.ServiceStatus.DesiredTasks
		}
		if s.UpdateStatus != nil {
			v.Update = string(s.UpdateStatus.State)
		}
		svcs[s.ID] = svcInfo{v.Name, v.Image, v.Hue}
		st.Services = append(st.Services, v)
	}
	sort.Slice(st.Services, func(i, j int) bool { return st.Services[i].Name < st.Services[j].Name })

	for _, t := range tasks {
		s, ok := svcs[t.ServiceID]
		if !ok {
			continue // its service is being removed; nothing to colour it by
		}
		v := Task{
			ID:           t.ID,
			ServiceID:    t.ServiceID,
			Service:      s.name,
			Hue:          s.hue,
			Image:        s.image,
			Slot:         t.Slot,
			NodeID:       t.NodeID,
			Node:         hostnames[t.NodeID],
			State:        string(t.Status.State),
			DesiredState: string(t.DesiredState),
			Since:        t.Status.Timestamp,
			Error:        t.Status.Err,
		}
		if cs := t.Spec.ContainerSpec; cs != nil && cs.Image != "" {
			v.Image = DisplayImage(cs.Image) // may differ from the service's mid-update
		}
		if v.Node == "" && v.NodeID != "" {
			v.Node = shortID(v.NodeID) // the node was removed from the swarm
		}
		st.Tasks = append(st.Tasks, v)
	}
	st.Tasks = pruneTasks(st.Tasks, downSince, now)

	for _, n := range networks {
		if n.Driver != "overlay" {
			continue
		}
		v := Network{ID: n.ID, Name: n.Name, Ingress: n.Ingress, Attachable: n.Attachable}
		var subnets []string
		for _, c := range n.IPAM.Config {
			if c.Subnet != "" {
				subnets = append(subnets, c.Subnet)
			}
		}
		v.Subnet = strings.Join(subnets, ", ")
		st.Networks = append(st.Networks, v)
	}
	sort.Slice(st.Networks, func(i, j int) bool { return st.Networks[i].Name < st.Networks[j].Name })
	return st
}

func serviceMode(m swarm.ServiceMode) string {
	switch {
	case m.Global != nil:
		return "global"
	case m.ReplicatedJob != nil:
		return "replicated-job"
	case m.GlobalJob != nil:
		return "global-job"
	}
	return "replicated"
}

// countTasks counts a service's tasks that run and are meant to.
func countTasks(s swarm.Service, tasks []swarm.Task) (running, desired uint64) {
	for _, t := range tasks {
		if t.ServiceID != s.ID {
			continue
		}
		if t.Status.State == swarm.TaskStateRunning && t.DesiredState == swarm.TaskStateRunning {
			running++
		}
		if t.DesiredState == swarm.TaskStateRunning {
			desired++
		}
	}
	if r := s.Spec.Mode.Replicated; r != nil && r.Replicas != nil {
		desired = *r.Replicas
	}
	return running, desired
}

func publishedPorts(ports []swarm.PortConfig) []string {
	var out []string
	for _, p := range ports {
		if p.PublishedPort == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%d:%d/%s", p.PublishedPort, p.TargetPort, p.Protocol))
	}
	return out
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Compile-time guards.
var (
	_ DockerAPI = (*client.Client)(nil)
	_ Source    = (*DockerSource)(nil)
	_ Source    = (*MemorySource)(nil)
)
