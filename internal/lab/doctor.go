package lab

import (
	"context"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/container"
)

// Check levels.
const (
	CheckOK   = "ok"
	CheckWarn = "warn" // works, with a workaround swarmlab applies
	CheckFail = "fail" // up will not work until the user acts
)

// Check is one finding of Doctor.
type Check struct {
	Name   string   `json:"name"`
	Level  string   `json:"level"`
	Result string   `json:"result"`
	Advice []string `json:"advice,omitempty"`
}

// Doctor checks the engine, the kernel and the host ports.
func (l *Lab) Doctor(ctx context.Context) []Check {
	var out []Check
	info, err := l.Engine.Info(ctx)
	if err != nil {
		return append(out, Check{Name: "Docker engine", Level: CheckFail, Result: "not reachable: " + firstLine(err),
			Advice: []string{"Start Docker (Docker Desktop, or 'sudo dockerd &' / 'sudo systemctl start docker') and check DOCKER_HOST."}})
	}
	out = append(out, Check{Name: "Docker engine", Level: CheckOK, Result: fmt.Sprintf("Docker %s, %s/%s, kernel %s", info.ServerVersion, info.OSType, info.Architecture, info.KernelVersion)})

	if img, _, err := l.nodeImage(ctx, false); err == nil {
		out = append(out, Check{Name: "Node image", Level: CheckOK, Result: img})
		out = append(out, l.checkPrivileged(ctx, img))
		out = append(out, l.checkKernel(ctx, img)...)
	} else {
		out = append(out, Check{Name: "Node image", Level: CheckWarn, Result: l.Config.NodeImage + " is not on the engine yet",
			Advice: []string{l.Config.Cmd("up") + " pulls it; where images cannot be pulled, run " + l.Config.Cmd("build node-image") + " first."}})
		out = append(out, l.checkIPVS(ctx, hostProcIPVS()))
	}
	out = append(out, l.doctorPorts(ctx)...)
	return out
}

func (l *Lab) checkPrivileged(ctx context.Context, img string) Check {
	ok, err := ProbePrivileged(ctx, l.Engine, img, l.Config.Name)
	switch {
	case err != nil:
		return Check{Name: "Privileged containers", Level: CheckFail, Result: firstLine(err)}
	case ok:
		return Check{Name: "Privileged containers", Level: CheckOK, Result: "allowed"}
	}
	return Check{Name: "Privileged containers", Level: CheckWarn, Result: "refused by this engine",
		Advice: []string{"swarmlab runs nodes with explicit capabilities instead (all but SYS_RESOURCE, seccomp and AppArmor unconfined)."}}
}

// checkKernel runs a throwaway node container to look at the kernel the
// nodes will share: IPVS for VIPs and the routing mesh, VXLAN for overlays.
func (l *Lab) checkKernel(ctx context.Context, img string) []Check {
	script := `test -d /proc/sys/net/ipv4/vs && echo ipvs=yes || echo ipvs=no
ip link add swl-vx0 type vxlan id 4242 dstport 4789 2>/dev/null && { echo vxlan=yes; ip link del swl-vx0; } || echo vxlan=no`
	logs, _, err := runOnce(ctx, l.Engine, &container.Config{Image: img, Entrypoint: []string{"sh", "-c", script}, Labels: map[string]string{LabelLab + ".probe": l.Config.Name}},
		&container.HostConfig{CapAdd: []string{"NET_ADMIN"}})
	if err != nil {
		return []Check{{Name: "Kernel", Level: CheckWarn, Result: "could not probe: " + firstLine(err)}}
	}
	proc := strings.Contains(logs, "ipvs=yes")
	out := []Check{l.checkIPVS(ctx, &proc)}
	if strings.Contains(logs, "vxlan=yes") {
		out = append(out, Check{Name: "VXLAN", Level: CheckOK, Result: "works: overlay networks span the nodes"})
	} else {
		out = append(out, Check{Name: "VXLAN", Level: CheckFail, Result: "a VXLAN link could not be made",
			Advice: []string{"Overlay networks need the kernel's vxlan module ('modprobe vxlan' on the host)."}})
	}
	return out
}

func noIPVS(cfg Config, why string) Check {
	return Check{Name: "IPVS", Level: CheckWarn, Result: why + ": swarm's service VIPs and ingress routing mesh do not work",
		Advice: []string{
			"swarmlab deploys its stacks with endpoint_mode dnsrr and host-mode ports instead; the demo works the same.",
			"Of the tutorial's manual steps, 'docker service create --publish 8000:8080 ...' answers 'connection refused'. Use instead:",
			"  docker service create --endpoint-mode dnsrr --publish mode=host,published=8000,target=8080 --name api registry:5000/swtest/api:latest",
			"A host-mode port allows one task per node: scale such a service to at most the number of nodes, or create it without --publish.",
			cfg.Cmd("docker stack deploy") + " adapts a stack file the same way before deploying it.",
			"A service reached by its name alone (its VIP) does not answer; 'tasks.NAME' lists every task's address and works.",
		}}
}

func (l *Lab) doctorPorts(ctx context.Context) []Check {
	inv, err := l.Inventory(ctx)
	if err != nil {
		return nil
	}
	ep, err := l.EndpointsOf(ctx, inv)
	if err != nil {
		return nil
	}
	var out []Check
	for _, p := range probePorts(l.Config, ep, inv) {
		name := fmt.Sprintf("Port %d (%s)", p.Port, p.What)
		switch {
		case p.ours:
			out = append(out, Check{Name: name, Level: CheckOK, Result: "held by this lab"})
		case p.inUse != nil:
			out = append(out, Check{Name: name, Level: CheckFail, Result: "in use on " + ep.Bind,
				Advice: []string{fmt.Sprintf("Free it, or pick another port: %s; %s picks a free one for a default port.", l.Config.Cmd("up --"+p.Key+"-port N"), l.Config.Cmd("up"))}})
		default:
			out = append(out, Check{Name: name, Level: CheckOK, Result: "free"})
		}
	}
	return out
}
