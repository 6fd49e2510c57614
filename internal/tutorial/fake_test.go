package tutorial

import (
	"fmt"
	"slices"
	"time"

	"github.com/swarmlab/swarmlab/internal/lab"
)

// The fake lab of the unit tests: a State as a hands-on lab shows it, and
// what each step, typed as the handout says, changes in it.

var testEnv = Env{Lab: "swarmlab", Ports: lab.Defaults().Ports, Workers: []string{"worker01", "worker02", "worker03"}}

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// fresh is a hands-on lab as 'swarmlab up --hands-on' leaves it.
func fresh() *State {
	s := &State{
		Lab:        LabRunning,
		Containers: map[string]Container{},
		HostImages: map[string]bool{"visualizer:latest": true, "haproxy:latest": true},
		Registry:   map[string][]string{},
		Manager:    Engine{Reachable: true, SwarmState: "inactive", Images: map[string]bool{}},
		Workers:    map[string]Engine{},
		Visualizer: HTTP{Err: "connection reset by peer"},
		App:        HTTP{Err: "connection reset by peer"},
		NoIPVS:     true,
	}
	for _, img := range lab.HandoutImages {
		s.HostImages[img.Host+":latest"] = true
	}
	for _, n := range []string{"registry", "manager", "worker01", "worker02", "worker03"} {
		s.Containers[n] = Container{Running: true, StartedAt: t0}
	}
	for _, w := range testEnv.Workers {
		s.Workers[w] = Engine{Reachable: true, SwarmState: "inactive", Images: map[string]bool{}}
	}
	return s
}

// typed is s after the step id, typed as the handout says.
func typed(s *State, id string) *State {
	switch id {
	case "init":
		s.Manager.SwarmState, s.Manager.IsManager, s.Manager.NodeID = "active", true, "m1"
		s.Swarm = &Swarm{JoinToken: "SWMTKN-1-secret", ManagerAddr: "172.28.0.10:2377",
			Nodes: []Node{{ID: "m1", Hostname: "manager", Role: "manager", State: "ready", Availability: "active"}},
			Networks: []Network{{Name: "bridge", Driver: "bridge", Scope: "local"}, {Name: "ingress", Driver: "overlay", Scope: "swarm"},
				{Name: "docker_gwbridge", Driver: "bridge", Scope: "local"}}}
	case "join-worker01", "join-worker02", "join-worker03":
		w := id[len("join-"):]
		s.Workers[w] = Engine{Reachable: true, SwarmState: "active", NodeID: "n-" + w, Images: s.Workers[w].Images}
		s.Swarm.Nodes = append(s.Swarm.Nodes, Node{ID: "n-" + w, Hostname: w, Role: "worker", State: "ready", Availability: "active"})
	case "tag":
		for _, img := range lab.HandoutImages {
			s.HostImages["localhost:5000/"+img.Repo+":latest"] = true
		}
	case "push":
		for _, img := range lab.HandoutImages {
			s.Registry[img.Repo] = []string{"latest"}
		}
	case "pull":
		s.Workers["worker01"].Images[apiImage+":latest"] = true
	case "service-create":
		s.Swarm.Services = append(s.Swarm.Services, Service{Name: "api", Image: apiImage + ":latest", Replicas: 1,
			Ports: []Port{{8000, 8080, "ingress"}}, Tasks: []Task{{Node: "worker02", State: "running"}}})
	case "service-scale":
		api := &s.Swarm.Services[len(s.Swarm.Services)-1]
		api.Replicas = 6
		for _, n := range []string{"manager", "worker01", "worker03", "manager", "worker01"} {
			api.Tasks = append(api.Tasks, Task{Node: n, State: "running"})
		}
	case "service-rm":
		s.Swarm.Services = slices.DeleteFunc(s.Swarm.Services, func(svc Service) bool { return svc.Name == "api" })
	case "network":
		s.Swarm.Networks = append(s.Swarm.Networks, Network{Name: "swtest_net", Driver: "overlay", Scope: "swarm", Attachable: true})
	case "stack-deploy":
		for _, name := range []string{"api", "nginx"} {
			s.Swarm.Services = append(s.Swarm.Services, Service{Name: "swtest_" + name, Stack: "swtest", Image: "registry:5000/swtest/" + name + ":latest", Replicas: 3,
				Tasks: []Task{{"worker01", "running", ""}, {"worker02", "running", ""}, {"worker03", "running", ""}}})
		}
	case "visualizer":
		s.Swarm.Services = append(s.Swarm.Services, Service{Name: "visualizer_app", Stack: "visualizer", Image: "registry:5000/visualizer:latest", Global: true, Replicas: 1,
			Tasks: []Task{{"manager", "running", ""}}})
		s.Visualizer = HTTP{Status: 200, Body: "<!doctype html>"}
	case "ingress":
		s.Swarm.Services = append(s.Swarm.Services, Service{Name: "ingress_haproxy", Stack: "ingress", Image: "registry:5000/haproxy:latest", Global: true, Replicas: 1,
			Tasks: []Task{{"manager", "running", ""}}})
		s.App = HTTP{Status: 200, Body: appText + "\n"}
	case "worker-stop":
		s.Containers["worker01"] = Container{StartedAt: t0, FinishedAt: t0.Add(time.Hour)}
		delete(s.Workers, "worker01")
		for i := range s.Swarm.Nodes {
			if s.Swarm.Nodes[i].Hostname == "worker01" {
				s.Swarm.Nodes[i].State = "down"
			}
		}
		for i := range s.Swarm.Services {
			for j, t := range s.Swarm.Services[i].Tasks {
				if t.Node == "worker01" {
					s.Swarm.Services[i].Tasks[j].Node = "worker02"
				}
			}
		}
	case "lab-restart":
		for n, c := range s.Containers {
			c.Running, c.FinishedAt, c.StartedAt = true, t0.Add(2*time.Hour), t0.Add(2*time.Hour+time.Minute)
			s.Containers[n] = c
		}
		s.Workers["worker01"] = Engine{Reachable: true, SwarmState: "active", NodeID: "n-worker01", Images: map[string]bool{apiImage + ":latest": true}}
		for i := range s.Swarm.Nodes {
			s.Swarm.Nodes[i].State = "ready"
		}
	case "down":
		*s = State{Lab: LabDown, Record: s.Record}
	case "node-ls", "service-ls", "service-ps", "stack-file", "stack-ls":
	default:
		panic(fmt.Sprintf("typed: no step %q", id))
	}
	return s
}

// after is a fresh lab after the steps up to (not including) steps[k].
func after(k int) *State {
	s := fresh()
	for _, st := range Steps(testEnv)[:k] {
		typed(s, st.ID)
	}
	return s
}

// learner types the steps in turn, evaluating after each as --watch would,
// with what each evaluation publishes remembered for the next.
func learner(s *State, p Progress) *State {
	s.Record = map[string]bool{}
	for _, id := range p.Done() {
		s.Record[id] = true
	}
	return s
}
