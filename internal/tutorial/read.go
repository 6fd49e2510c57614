package tutorial

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/regclient"
	"github.com/swarmlab/swarmlab/internal/visualizer/panel"
)

// LabStarting: the manager runs but its swarm does not answer yet.
const LabStarting = "starting"

// Reader reads a lab's State. It keeps its connections to the nodes' engines
// between reads, so that --watch stays light, and the last record it read,
// so that a stopped lab still shows where the learner was.
type Reader struct {
	Lab *lab.Lab

	mu         sync.Mutex
	clients    map[string]docker.Swarm // by container ID
	discovered bool                    // whether ep was read from the engine
	ep         lab.Endpoints           // where the lab answers on the host
	ipvs       *bool
	workers    []string
	record     map[string]bool
	label      string // as last read from the swarm
	mgr        docker.Swarm
}

// NewReader reads the lab l.
func NewReader(l *lab.Lab) *Reader {
	return &Reader{Lab: l, clients: map[string]docker.Swarm{}, ep: l.Config.Endpoints()}
}

// Close closes the connections to the nodes.
func (r *Reader) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, c := range r.clients {
		c.Close()
		delete(r.clients, id)
	}
	r.mgr = nil
}

func (r *Reader) client(id string) (docker.Swarm, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[id]; ok {
		return c, nil
	}
	c, err := r.Lab.NodeClient(id)
	if err == nil {
		r.clients[id] = c
	}
	return c, err
}

// forget drops a connection that failed, so the next read opens a new one.
func (r *Reader) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[id]; ok {
		c.Close()
		delete(r.clients, id)
	}
}

// Env is what the steps' texts need, as of the last read.
func (r *Reader) Env(s *State) Env {
	cfg := r.Lab.Config
	env := Env{Lab: cfg.Name, Ports: r.ep.Ports, Workers: r.workers, NoIPVS: s.NoIPVS}
	if len(env.Workers) == 0 {
		for _, n := range cfg.Nodes() {
			if n.Role == lab.RoleWorker {
				env.Workers = append(env.Workers, n.Name)
			}
		}
	}
	if s.Swarm != nil && s.Swarm.JoinToken != "" {
		env.Join = "docker swarm join --token " + s.Swarm.JoinToken + " " + s.Swarm.ManagerAddr
	}
	return env
}

// Read reads the whole state. Only an unreachable host engine is an error:
// whatever else does not answer is part of the state.
func (r *Reader) Read(ctx context.Context) (*State, error) {
	l := r.Lab
	inv, err := l.Inventory(ctx)
	if err != nil {
		return nil, err
	}
	s := &State{Containers: map[string]Container{}, Workers: map[string]Engine{}, HostImages: map[string]bool{}}
	if len(inv.Containers) == 0 {
		s.Lab, s.Record = LabAbsent, r.record
		if inv.Volumes[l.Config.RegistryVolume()] {
			s.Lab = LabDown
		}
		return s, nil
	}
	if !r.discovered {
		ep, err := l.Endpoints(ctx)
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.ep, r.discovered = ep, true
		r.mu.Unlock()
	}
	mgrName := l.Config.Nodes()[0].Name
	var workers []string
	for name, c := range inv.Containers {
		switch c.Labels[lab.LabelRole] {
		case lab.RoleEdge:
			continue
		case lab.RoleWorker:
			workers = append(workers, name)
		}
		s.Containers[name] = Container{Running: c.State == container.StateRunning}
	}
	slices.Sort(workers)
	r.workers = workers
	for _, name := range []string{mgrName, r.Env(s).worker01()} {
		if ins, err := l.Engine.ContainerInspect(ctx, inv.Containers[name].ID); err == nil && ins.State != nil {
			c := s.Containers[name]
			c.StartedAt, _ = time.Parse(time.RFC3339Nano, ins.State.StartedAt)
			if f, _ := time.Parse(time.RFC3339Nano, ins.State.FinishedAt); f.Year() > 1 {
				c.FinishedAt = f
			}
			s.Containers[name] = c
		}
	}
	if !s.Containers[mgrName].Running {
		s.Lab, s.Record = LabStopped, r.record
		return s, nil
	}
	s.Lab = LabRunning
	mgrID := inv.Containers[mgrName].ID
	if r.ipvs == nil {
		if chk, err := l.DetectIPVS(ctx, "", mgrID); err == nil {
			r.ipvs = &chk.Has
		}
	}
	s.NoIPVS = r.ipvs != nil && !*r.ipvs

	var wg sync.WaitGroup
	var mu sync.Mutex // guards s.Workers
	var swarmErr error
	wg.Go(func() { s.HostImages = r.hostImages(ctx) })
	wg.Go(func() { s.Registry = r.registry(ctx) })
	wg.Go(func() { swarmErr = r.readManager(ctx, mgrID, s) })
	for _, w := range workers {
		if s.Containers[w].Running {
			wg.Go(func() {
				eng := r.readEngine(ctx, inv.Containers[w].ID)
				mu.Lock()
				s.Workers[w] = eng
				mu.Unlock()
			})
		}
	}
	wg.Go(func() { s.Visualizer = get(ctx, r.ep.URL(r.ep.Ports.Visualizer)+"/") })
	wg.Go(func() { s.App = get(ctx, r.ep.URL(r.ep.Ports.Ingress)+"/") })
	wg.Wait()
	if swarmErr != nil {
		s.Lab, s.Record = LabStarting, r.record
		return s, nil
	}
	w1 := r.Env(s).worker01()
	if !s.Workers[w1].Images[apiImage+":latest"] && s.Containers[w1].Running {
		s.PullError = pullError(ctx, l.Engine, inv.Containers[w1].ID)
	}
	if s.Swarm == nil {
		r.mu.Lock()
		r.record, r.label, r.mgr = nil, "", nil
		r.mu.Unlock()
	} else {
		r.mu.Lock()
		r.record = recordOf(r.label)
		r.mu.Unlock()
	}
	s.Record = r.record
	return s, nil
}

// readEngine reads a node's own engine; an engine that does not answer is
// left unreachable.
func (r *Reader) readEngine(ctx context.Context, id string) Engine {
	cl, err := r.client(id)
	if err != nil {
		return Engine{}
	}
	info, err := cl.Info(ctx)
	if err != nil {
		r.forget(id)
		return Engine{}
	}
	eng := Engine{Reachable: true, SwarmState: string(info.Swarm.LocalNodeState), NodeID: info.Swarm.NodeID, IsManager: info.Swarm.ControlAvailable, Images: map[string]bool{}}
	if imgs, err := cl.ImageList(ctx, image.ListOptions{}); err == nil {
		for _, img := range imgs {
			for _, t := range img.RepoTags {
				eng.Images[t] = true
			}
		}
	}
	return eng
}

// readManager reads the first manager's engine and, when it manages a
// swarm, the swarm. An error means the swarm should answer but does not.
func (r *Reader) readManager(ctx context.Context, id string, s *State) error {
	s.Manager = r.readEngine(ctx, id)
	if !s.Manager.Reachable {
		return fmt.Errorf("the manager's engine does not answer")
	}
	if s.Manager.SwarmState != string(swarm.LocalNodeStateActive) || !s.Manager.IsManager {
		return nil
	}
	cl, err := r.client(id)
	if err != nil {
		return err
	}
	sw, err := readSwarm(ctx, cl)
	if err != nil {
		return err
	}
	s.Swarm = sw
	r.mu.Lock()
	r.mgr = cl
	r.mu.Unlock()
	info, err := cl.SwarmInspect(ctx)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.label = info.Spec.Labels[panel.Label]
	r.mu.Unlock()
	sw.JoinToken = info.JoinTokens.Worker
	return nil
}

func readSwarm(ctx context.Context, cl docker.Swarm) (*Swarm, error) {
	info, err := cl.Info(ctx)
	if err != nil {
		return nil, err
	}
	sw := &Swarm{ManagerAddr: info.Swarm.NodeAddr + ":2377"}
	nodes, err := cl.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, err
	}
	hostname := map[string]string{}
	for _, n := range nodes {
		hostname[n.ID] = n.Description.Hostname
		sw.Nodes = append(sw.Nodes, Node{ID: n.ID, Hostname: n.Description.Hostname, Role: string(n.Spec.Role), State: string(n.Status.State), Availability: string(n.Spec.Availability)})
	}
	svcs, err := cl.ServiceList(ctx, swarm.ServiceListOptions{})
	if err != nil {
		return nil, err
	}
	tasks, err := cl.TaskList(ctx, swarm.TaskListOptions{})
	if err != nil {
		return nil, err
	}
	for _, svc := range svcs {
		sw.Services = append(sw.Services, service(svc, tasks, hostname))
	}
	nets, err := cl.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, n := range nets {
		sw.Networks = append(sw.Networks, Network{Name: n.Name, Driver: n.Driver, Scope: n.Scope, Attachable: n.Attachable})
	}
	return sw, nil
}

func service(svc swarm.Service, tasks []swarm.Task, hostname map[string]string) Service {
	out := Service{Name: svc.Spec.Name, Stack: svc.Spec.Labels["com.docker.stack.namespace"], Global: svc.Spec.Mode.Global != nil}
	if cs := svc.Spec.TaskTemplate.ContainerSpec; cs != nil {
		out.Image, _, _ = strings.Cut(cs.Image, "@")
	}
	if r := svc.Spec.Mode.Replicated; r != nil && r.Replicas != nil {
		out.Replicas = int(*r.Replicas)
	}
	if svc.Spec.EndpointSpec != nil {
		for _, p := range svc.Spec.EndpointSpec.Ports {
			out.Ports = append(out.Ports, Port{Published: int(p.PublishedPort), Target: int(p.TargetPort), Mode: string(p.PublishMode)})
		}
	}
	var newest time.Time
	for _, t := range tasks {
		if t.ServiceID != svc.ID {
			continue
		}
		if t.DesiredState == swarm.TaskStateRunning {
			out.Tasks = append(out.Tasks, Task{Node: hostname[t.NodeID], State: string(t.Status.State), Err: t.Status.Err})
		}
		if t.Status.Err != "" && t.Status.Timestamp.After(newest) {
			newest, out.LastError = t.Status.Timestamp, t.Status.Err
		}
	}
	if out.Global {
		out.Replicas = len(out.Tasks)
	}
	return out
}

func (r *Reader) hostImages(ctx context.Context) map[string]bool {
	out := map[string]bool{}
	imgs, err := r.Lab.Engine.ImageList(ctx, image.ListOptions{})
	if err != nil {
		return out
	}
	for _, img := range imgs {
		for _, t := range img.RepoTags {
			out[t] = true
		}
	}
	return out
}

// registry reads the lab registry's repositories and tags; nil when it
// does not answer.
func (r *Reader) registry(ctx context.Context) map[string][]string {
	c := &regclient.Client{BaseURL: r.ep.URL(r.ep.Ports.Registry), HTTPClient: &http.Client{Timeout: 2 * time.Second}}
	repos, err := c.Catalog(ctx)
	if err != nil {
		return nil
	}
	out := map[string][]string{}
	for _, repo := range repos {
		tags, err := c.Tags(ctx, repo)
		if err != nil {
			return nil
		}
		out[repo] = tags
	}
	return out
}

var httpClient = &http.Client{Timeout: time.Second}

// get reads the first bytes a host port answers with.
func get(ctx context.Context, url string) HTTP {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := httpClient.Do(req)
	if err != nil {
		return HTTP{Err: err.Error()}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return HTTP{Status: resp.StatusCode, Body: string(body)}
}

var (
	pullErrRE = regexp.MustCompile(`images/create returned error: (.*)`)
	ansiRE    = regexp.MustCompile("\x1b\\[[0-9;]*m")
)

// pullError is the last failed pull a node's engine logged. The nodes run
// with a TTY, so their logs are one plain stream.
func pullError(ctx context.Context, e docker.Engine, id string) string {
	rc, err := e.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: "200"})
	if err != nil {
		return ""
	}
	defer rc.Close()
	data, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
	last := ""
	for _, line := range strings.Split(ansiRE.ReplaceAllString(string(data), ""), "\n") {
		if m := pullErrRE.FindStringSubmatch(line); m != nil {
			last = strings.TrimSpace(m[1])
		}
	}
	return last
}
