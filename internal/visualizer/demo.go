package visualizer

import (
	"context"
	"fmt"
	"time"
)

// Demo is a made-up swarm of 4 nodes and 20 tasks with a toy scheduler, so
// that the page can be seen, tested and measured without Docker. It is not
// safe for concurrent use.
type Demo struct {
	nodes    []Node
	services []demoService
	networks []Network
	tasks    []Task
	downAt   map[string]time.Time
	seq      int
}

type demoService struct {
	Service
	replicas     int  // for replicated services
	managersOnly bool // like the visualizer's placement constraint
}

// NewDemo returns a settled swarm: every task running since a little
// before now.
func NewDemo(now time.Time) *Demo {
	d := &Demo{downAt: map[string]time.Time{}}
	for i, host := range []string{"manager", "worker-1", "worker-2", "worker-3"} {
		n := Node{
			ID: fmt.Sprintf("node%02dxxxxxxxxxxxxxxxxxxx", i), Hostname: host, Role: "worker",
			Status: "ready", Availability: "active", Addr: fmt.Sprintf("10.10.0.%d", 10+i),
			Engine: "20.10.24", Platform: "linux/x86_64", CPUs: 2, MemoryBytes: 2 << 30,
		}
		if i == 0 {
			n.Role, n.Leader = "manager", true
		} else {
			n.Labels = map[string]string{"zone": fmt.Sprintf("zone-%c", 'a'+(i-1)%2)}
		}
		d.nodes = append(d.nodes, n)
	}
	add := func(name, image, mode string, replicas int, managersOnly bool, ports ...string) {
		d.services = append(d.services, demoService{
			Service: Service{
				ID: "svc-" + name, Name: name, Image: DisplayImage(image), Mode: mode,
				Hue: ServiceHue(name), Ports: ports,
			},
			replicas: replicas, managersOnly: managersOnly,
		})
	}
	add("agent", "registry:5000/lab/agent:1.0", "global", 0, false)
	add("api", "registry:5000/lab/api:2.3@sha256:3f1c9e0d", "replicated", 5, false, "8081:8080/tcp")
	add("redis", "redis:7-alpine", "replicated", 1, false)
	add("visualizer", "registry:5000/swarmlab/visualizer:dev", "global", 0, true, "9000:8080/tcp")
	add("web", "registry:5000/lab/web:1.27", "replicated", 9, false, "8080:80/tcp")
	d.networks = []Network{
		{ID: "net-ingress", Name: "ingress", Subnet: "10.0.0.0/24", Ingress: true},
		{ID: "net-lab", Name: "lab_default", Subnet: "10.0.1.0/24", Attachable: true},
	}
	d.schedule(now.Add(-90 * time.Second))
	for i := range d.tasks {
		d.tasks[i].State = "running"
		d.tasks[i].Since = now.Add(-time.Duration(60+7*i) * time.Second)
	}
	return d
}

// SetNode sets a node's status ("ready" or "down") and availability
// ("active", "pause", "drain"; "" keeps it), then lets the scheduler react.
func (d *Demo) SetNode(hostname, status, availability string, now time.Time) error {
	for i := range d.nodes {
		n := &d.nodes[i]
		if n.Hostname != hostname {
			continue
		}
		if n.Status != status {
			n.Status = status
			if status == "ready" {
				n.Message = ""
				delete(d.downAt, n.ID)
			} else {
				n.Message = "heartbeat failure"
				d.downAt[n.ID] = now
			}
		}
		if availability != "" {
			n.Availability = availability
		}
		d.Step(now)
		return nil
	}
	return fmt.Errorf("no node %q in the demo swarm", hostname)
}

// Fail makes the running task of service at slot (or on node hostname, for
// a global service) fail with msg; the next Step replaces it.
func (d *Demo) Fail(service string, slot int, msg string, now time.Time) {
	for i := range d.tasks {
		t := &d.tasks[i]
		if t.Service == service && t.Slot == slot && t.State == "running" {
			t.State, t.DesiredState, t.Error, t.Since = "failed", "shutdown", msg, now
			return
		}
	}
}

// Step advances the demo by one tick: tasks move from preparing to starting
// to running, tasks of nodes that came back shut down, and missing replicas
// are placed on the least busy node.
func (d *Demo) Step(now time.Time) {
	for i := range d.tasks {
		t := &d.tasks[i]
		n := d.node(t.NodeID)
		if n.Status != "ready" {
			t.DesiredState = "shutdown" // the manager gives up on a down node
			continue
		}
		if n.Availability == "drain" {
			t.DesiredState = "shutdown"
		}
		switch {
		case t.DesiredState == "shutdown" && !terminal(t.State):
			t.State, t.Since = "shutdown", now
		case t.State == "preparing" && now.Sub(t.Since) >= time.Second:
			t.State, t.Since = "starting", now
		case t.State == "starting" && now.Sub(t.Since) >= 2*time.Second:
			t.State, t.Since = "running", now
		}
	}
	d.schedule(now)
	// Forget what the page would not show anyway, so the demo can run for days.
	kept := d.tasks[:0]
	for _, t := range d.tasks {
		if !terminal(t.State) || now.Sub(t.Since) < 2*RecentWindow {
			kept = append(kept, t)
		}
	}
	d.tasks = kept
}

func (d *Demo) node(id string) *Node {
	for i := range d.nodes {
		if d.nodes[i].ID == id {
			return &d.nodes[i]
		}
	}
	return &Node{}
}

func (d *Demo) schedule(now time.Time) {
	load := map[string]int{}
	for _, t := range d.tasks {
		if t.DesiredState == "running" {
			load[t.NodeID]++
		}
	}
	eligible := func(s demoService, n Node) bool {
		return n.Status == "ready" && n.Availability == "active" && (!s.managersOnly || n.Role == "manager")
	}
	place := func(s demoService, slot int, n Node) {
		d.seq++
		d.tasks = append(d.tasks, Task{
			ID: fmt.Sprintf("task%04dxxxxxxxxxxxxxxx", d.seq), ServiceID: s.ID, Service: s.Name, Hue: s.Hue,
			Image: s.Image, Slot: slot, NodeID: n.ID, Node: n.Hostname,
			State: "preparing", DesiredState: "running", Since: now,
		})
		load[n.ID]++
	}
	for _, s := range d.services {
		if s.Mode == "global" {
			for _, n := range d.nodes {
				if eligible(s, n) && !d.has(func(t Task) bool { return t.ServiceID == s.ID && t.NodeID == n.ID }) {
					place(s, 0, n)
				}
			}
			continue
		}
		for slot := 1; slot <= s.replicas; slot++ {
			if d.has(func(t Task) bool { return t.ServiceID == s.ID && t.Slot == slot }) {
				continue
			}
			best := -1
			for i, n := range d.nodes {
				if eligible(s, n) && (best < 0 || load[n.ID] < load[d.nodes[best].ID]) {
					best = i
				}
			}
			if best >= 0 {
				place(s, slot, d.nodes[best])
			}
		}
	}
}

// has reports whether a live (wanted running) task matches.
func (d *Demo) has(match func(Task) bool) bool {
	for _, t := range d.tasks {
		if t.DesiredState == "running" && match(t) {
			return true
		}
	}
	return false
}

// State returns the demo swarm as the page would get it from Docker.
func (d *Demo) State(now time.Time) State {
	st := State{Time: now, Nodes: append([]Node(nil), d.nodes...), Networks: append([]Network(nil), d.networks...)}
	for _, s := range d.services {
		v := s.Service
		v.Running, v.Desired = 0, uint64(s.replicas)
		for _, t := range d.tasks {
			if t.ServiceID != s.ID {
				continue
			}
			if t.State == "running" && t.DesiredState == "running" {
				v.Running++
			}
			if s.Mode == "global" && t.DesiredState == "running" {
				v.Desired++
			}
		}
		st.Services = append(st.Services, v)
	}
	st.Tasks = pruneTasks(append([]Task(nil), d.tasks...), d.downAt, now)
	sortNodes(st.Nodes)
	return st
}

// RunDemo animates src until ctx is done, on a one-minute loop: a worker
// goes down and its tasks move, it comes back, a task fails and is replaced.
func RunDemo(ctx context.Context, src *MemorySource) {
	start := time.Now()
	d := NewDemo(start)
	src.Set(d.State(start))
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			switch int(now.Sub(start).Seconds()) % 60 {
			case 8:
				d.SetNode("worker-2", "down", "", now)
			case 30:
				d.SetNode("worker-2", "ready", "", now)
			case 42:
				d.Fail("api", 2, "task: non-zero exit (1): connection refused", now)
			case 50:
				d.SetNode("worker-3", "ready", "drain", now)
			case 58:
				d.SetNode("worker-3", "ready", "active", now)
			}
			d.Step(now)
			src.Set(d.State(now))
		}
	}
}
