package realswarm

// The services Deploy makes: what the lab's stack/ingress.yml and
// stack/visualizer.yml say, with the ports, constraints and network of a
// real swarm, and the labels 'docker stack' reads, so that 'docker stack ps
// ingress' and 'docker stack rm ingress' work on them.

import (
	"fmt"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"
)

const socket = "/var/run/docker.sock"

func serviceSpecs(o DeployOptions) []swarm.ServiceSpec {
	ingress := service(o, Roles[0], o.IngressConstraints, []string{"STATS_AUTH=" + o.StatsAuth})
	ingress.Mode = swarm.ServiceMode{Global: &swarm.GlobalService{}}
	ingress.EndpointSpec = endpoint(o.PublishMode, map[int]int{80: o.IngressPort, 1936: o.StatsPort})

	viz := service(o, Roles[1], o.VisualizerConstraints, nil)
	one := uint64(1)
	viz.Mode = swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}}
	viz.EndpointSpec = endpoint(o.PublishMode, map[int]int{8080: o.VisualizerPort})
	return []swarm.ServiceSpec{ingress, viz}
}

func service(o DeployOptions, r Role, constraints, env []string) swarm.ServiceSpec {
	img := fmt.Sprintf("%s/%s:%s", o.Images, r.Name, o.Tag)
	labels := map[string]string{"com.docker.stack.namespace": r.Name, "com.docker.stack.image": img}
	return swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: r.Name + "_" + r.Name, Labels: labels},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{
				Image:  img,
				Labels: map[string]string{"com.docker.stack.namespace": r.Name},
				Env:    env,
				// Both only read the swarm; :ro keeps the socket file itself safe.
				Mounts: []mount.Mount{{Type: mount.TypeBind, Source: socket, Target: socket, ReadOnly: true}},
			},
			Placement: &swarm.Placement{Constraints: constraints},
			Networks:  []swarm.NetworkAttachmentConfig{{Target: o.Network, Aliases: []string{r.Name}}},
		},
	}
}

// endpoint publishes container ports (keys) on the given ports; 0 skips one.
func endpoint(mode string, ports map[int]int) *swarm.EndpointSpec {
	ep := &swarm.EndpointSpec{Mode: swarm.ResolutionModeVIP}
	if mode == "host" {
		// Host-mode ports need no VIP, and kernels without IPVS have none.
		ep.Mode = swarm.ResolutionModeDNSRR
	}
	for _, target := range []int{80, 1936, 8080} {
		published, ok := ports[target]
		if !ok || published == 0 {
			continue
		}
		ep.Ports = append(ep.Ports, swarm.PortConfig{
			Protocol: swarm.PortConfigProtocolTCP, TargetPort: uint32(target), PublishedPort: uint32(published),
			PublishMode: swarm.PortConfigPublishMode(mode),
		})
	}
	return ep
}
