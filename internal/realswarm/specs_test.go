package realswarm

import (
	"testing"

	"github.com/docker/docker/api/types/swarm"
)

func TestServiceSpecs(t *testing.T) {
	o := DeployOptions{Images: "reg/x", Tag: "1.0", Network: "web", PublishMode: "host", IngressPort: 80, StatsPort: 0, VisualizerPort: 9000,
		IngressConstraints: []string{"node.role == manager"}, StatsAuth: "a:b"}
	specs := serviceSpecs(o)
	ing, viz := specs[0], specs[1]
	if ing.Name != "ingress_ingress" || ing.Labels["com.docker.stack.namespace"] != "ingress" || ing.TaskTemplate.ContainerSpec.Image != "reg/x/ingress:1.0" {
		t.Errorf("ingress: %+v", ing.Annotations)
	}
	if ing.Mode.Global == nil || ing.EndpointSpec.Mode != swarm.ResolutionModeDNSRR || len(ing.EndpointSpec.Ports) != 1 {
		t.Errorf("ingress: global, dnsrr and one port (stats off) expected: %+v", ing.EndpointSpec)
	}
	if p := ing.EndpointSpec.Ports[0]; p.TargetPort != 80 || p.PublishedPort != 80 || p.PublishMode != swarm.PortConfigPublishModeHost {
		t.Errorf("ingress port: %+v", p)
	}
	if m := ing.TaskTemplate.ContainerSpec.Mounts[0]; !m.ReadOnly || m.Source != "/var/run/docker.sock" {
		t.Errorf("socket mount: %+v", m)
	}
	if viz.Mode.Replicated == nil || *viz.Mode.Replicated.Replicas != 1 || viz.EndpointSpec.Ports[0].TargetPort != 8080 || viz.EndpointSpec.Ports[0].PublishedPort != 9000 {
		t.Errorf("visualizer: %+v %+v", viz.Mode, viz.EndpointSpec)
	}
	o.PublishMode = "ingress"
	if ep := serviceSpecs(o)[0].EndpointSpec; ep.Mode != swarm.ResolutionModeVIP || ep.Ports[0].PublishMode != swarm.PortConfigPublishModeIngress {
		t.Errorf("routing mesh: %+v", ep)
	}
	for _, bad := range []DeployOptions{{Images: "r", Tag: "t", PublishMode: "nat"}, {Tag: "t", PublishMode: "host"}, {Images: "r", Tag: "t", PublishMode: "host", StatsAuth: "nocolon"}} {
		if bad.Validate() == nil {
			t.Errorf("Validate(%+v) = nil", bad)
		}
	}
}
