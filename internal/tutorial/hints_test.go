package tutorial

import (
	"strings"
	"testing"
)

// at is the fake lab at the start of step id, typed as --watch sees it.
func at(t *testing.T, id string) *State {
	t.Helper()
	steps := Steps(testEnv)
	i, err := Find(steps, id)
	if err != nil {
		t.Fatal(err)
	}
	s := fresh()
	for _, st := range steps[:i] {
		s = typed(learner(s, Evaluate(steps, testEnv, s, English)), st.ID)
	}
	return learner(s, Evaluate(steps, testEnv, s, English))
}

func svcOf(s *State, name string) *Service {
	for i := range s.Swarm.Services {
		if s.Swarm.Services[i].Name == name {
			return &s.Swarm.Services[i]
		}
	}
	return nil
}

func netOf(s *State, name string) *Network {
	for i := range s.Swarm.Networks {
		if s.Swarm.Networks[i].Name == name {
			return &s.Swarm.Networks[i]
		}
	}
	return nil
}

// TestHints makes the typical mistakes of a study group and checks that the
// step is not ticked and the hint says what went wrong and what to type.
func TestHints(t *testing.T) {
	tests := []struct {
		name    string
		step    string // the step being typed
		mistake func(s *State)
		hint    string // in the English hint
		ja      string // in the Japanese hint, when checked
	}{
		{"swarm init on a worker", "init", func(s *State) {
			s.Workers["worker01"] = Engine{Reachable: true, SwarmState: "active", IsManager: true}
		}, "'docker swarm init' was typed on worker01, not on the manager", "managerではなくworker01で入力されています"},
		{"a worker joined as a manager", "join-worker01", func(s *State) {
			s.Workers["worker01"] = Engine{Reachable: true, SwarmState: "active", IsManager: true}
			s.Swarm.Nodes = append(s.Swarm.Nodes, Node{Hostname: "worker01", Role: "manager", State: "ready"})
		}, "docker node demote worker01", "managerとして参加しています"},
		{"a worker in another swarm", "join-worker01", func(s *State) {
			s.Workers["worker01"] = Engine{Reachable: true, SwarmState: "active", NodeID: "elsewhere"}
		}, "is a member of another swarm", ""},
		{"a worker that cannot reach the manager", "join-worker01", func(s *State) {
			s.Workers["worker01"] = Engine{Reachable: true, SwarmState: "pending"}
		}, "cannot reach the manager: check the address at the end of the join command (172.28.0.10:2377)", ""},
		{"the handout's image names typed", "tag", func(s *State) {
			typed(s, "tag")
			delete(s.HostImages, "localhost:5000/visualizer:latest")
			delete(s.HostImages, "localhost:5000/haproxy:latest")
		}, "swarmlab's image for visualizer is swarmlab/visualizer:latest, not the handout's dockersamples/visualizer", "swarmlabのイメージ swarmlab/visualizer:latest を使います"},
		{"an image tagged under another name", "tag", func(s *State) {
			typed(s, "tag")
			delete(s.HostImages, "localhost:5000/swtest/api:latest")
			s.HostImages["localhost:5000/api:latest"] = true
		}, "localhost:5000/api:latest: not a name the stack files pull", ""},
		{"an image pushed under another name", "push", func(s *State) {
			typed(s, "push")
			delete(s.Registry, "visualizer")
			s.Registry["dockersamples/visualizer"] = []string{"latest"}
		}, "the registry holds dockersamples/visualizer, which no stack file pulls; push visualizer", "stackファイルでは使いません"},
		{"an image pushed with another tag", "push", func(s *State) {
			typed(s, "push")
			s.Registry["swtest/api"] = []string{"v1"}
		}, "in the registry as swtest/api:v1: the stack files pull the tag latest", ""},
		{"localhost:5000 in a node", "pull", func(s *State) {
			s.PullError = `Get "http://localhost:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused`
		}, "localhost:5000, which inside a node is the node itself; the registry is registry:5000", "ノードの中では localhost はノード自身です"},
		{"pulled on the manager", "pull", func(s *State) {
			s.Manager.Images[apiImage+":latest"] = true
		}, "pulled on manager, not on worker01: open worker01's CLI (docker exec -it worker01 sh)", ""},
		{"a pull that failed otherwise", "pull", func(s *State) {
			s.PullError = "manifest for registry:5000/swtest/apii:latest not found"
		}, "worker01 could not pull: manifest for registry:5000/swtest/apii:latest not found", ""},
		{"a service from localhost:5000", "service-create", func(s *State) {
			typed(s, "service-create")
			svcOf(s, "api").Image = "localhost:5000/swtest/api:latest"
		}, "inside the nodes localhost is the node itself; the registry is registry:5000", ""},
		{"a service under another name", "service-create", func(s *State) {
			typed(s, "service-create")
			svcOf(s, "api").Name = "web"
		}, "the service is called web; the handout names it api", ""},
		{"a service without its port", "service-create", func(s *State) {
			typed(s, "service-create")
			svcOf(s, "api").Ports = nil
		}, "docker service update --publish-add 8000:8080 api", ""},
		{"a host-mode port", "service-create", func(s *State) {
			typed(s, "service-create")
			svcOf(s, "api").Ports[0].Mode = "host"
		}, "host mode, which allows one task per node", "1ノードに1タスクまで"},
		{"a service whose image is missing", "service-create", func(s *State) {
			typed(s, "service-create")
			api := svcOf(s, "api")
			api.Tasks[0].State, api.LastError = "rejected", "No such image: registry:5000/swtest/api:latest"
		}, "are the images pushed to the registry?", ""},
		{"api scaled to the wrong number", "service-scale", func(s *State) {
			svcOf(s, "api").Replicas = 5
		}, "api is scaled to 5; this step scales it to 6: type 'docker service scale api=6'", "apiが 5 にスケールされています"},
		{"a network that is not attachable", "network", func(s *State) {
			typed(s, "network")
			netOf(s, "swtest_net").Attachable = false
		}, "created without --attachable: type 'docker network rm swtest_net'", "--attachable を付けて作り直してください"},
		{"a bridge network", "network", func(s *State) {
			typed(s, "network")
			n := netOf(s, "swtest_net")
			n.Driver, n.Scope, n.Attachable = "bridge", "local", false
		}, "created with the bridge driver", ""},
		{"a network under another name", "network", func(s *State) {
			s.Swarm.Networks = append(s.Swarm.Networks, Network{Name: "swtest-net", Driver: "overlay", Attachable: true})
		}, "the network is called swtest-net; the stack files use swtest_net", ""},
		{"a stack deployed under another name", "stack-deploy", func(s *State) {
			typed(s, "stack-deploy")
			for i := range s.Swarm.Services {
				svc := &s.Swarm.Services[i]
				svc.Stack, svc.Name = "web", strings.Replace(svc.Name, "swtest", "web", 1)
			}
		}, "the stack was deployed as web; nginx proxies to swtest_api, so deploy it as swtest: type 'docker stack rm web'", "swtest としてデプロイしてください"},
		{"a service placed on the manager", "stack-deploy", func(s *State) {
			typed(s, "stack-deploy")
			svcOf(s, "swtest_api").Tasks[0].Node = "manager"
		}, "swtest_api runs 1 task(s) on the manager: webapi.yml's placement constraint 'node.role != manager' is missing", "配置制約"},
		{"a stack whose image is missing", "stack-deploy", func(s *State) {
			typed(s, "stack-deploy")
			nginx := svcOf(s, "swtest_nginx")
			nginx.Tasks = nil
			nginx.LastError = "No such image: registry:5000/swtest/nginx:latest"
		}, "swtest_nginx: No such image: registry:5000/swtest/nginx:latest; are the images pushed", ""},
		{"another worker stopped", "worker-stop", func(s *State) {
			s.Containers["worker02"] = Container{}
		}, "worker02 is stopped; the handout stops worker01: type 'docker start worker02', then 'docker stop worker01'", ""},
		{"a worker drained instead", "worker-stop", func(s *State) {
			for i := range s.Swarm.Nodes {
				if s.Swarm.Nodes[i].Hostname == "worker01" {
					s.Swarm.Nodes[i].Availability = "drain"
				}
			}
		}, "worker01 is drained", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := at(t, tt.step)
			tt.mistake(s)
			steps := Steps(testEnv)
			for _, lang := range []string{English, Japanese} {
				p := Evaluate(steps, testEnv, s, lang)
				sp, _ := p.Step(tt.step)
				if p.Current != tt.step || sp.Status != StatusCurrent {
					t.Fatalf("%s: current %q, %s is %s (%s)", lang, p.Current, tt.step, sp.Status, sp.Detail)
				}
				want := tt.hint
				if lang == Japanese {
					want = tt.ja
				}
				if !strings.Contains(sp.Hint, want) || sp.Hint == "" {
					t.Errorf("%s hint:\n  %s\nwant it to contain:\n  %s", lang, sp.Hint, want)
				}
				if Mark(sp) != "✗" {
					t.Errorf("mark %q, want ✗", Mark(sp))
				}
			}
		})
	}
}
