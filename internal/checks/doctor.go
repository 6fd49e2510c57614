package checks

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/docker/docker/api/types/container"

	"github.com/swarmlab/swarmlab/internal/kernel"
	"github.com/swarmlab/swarmlab/internal/lab"
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
func Doctor(ctx context.Context, l *lab.Lab) []Check {
	var out []Check
	info, err := l.Engine.Info(ctx)
	if err != nil {
		return append(out, Check{Name: "Docker engine", Level: CheckFail, Result: "not reachable: " + firstLine(err),
			Advice: []string{"Start Docker (Docker Desktop, or 'sudo dockerd &' / 'sudo systemctl start docker') and check DOCKER_HOST."}})
	}
	out = append(out, Check{Name: "Docker engine", Level: CheckOK, Result: fmt.Sprintf("Docker %s, %s/%s, kernel %s", info.ServerVersion, info.OSType, info.Architecture, info.KernelVersion)})

	if img, _, err := l.NodeImage(ctx, false); err == nil {
		out = append(out, Check{Name: "Node image", Level: CheckOK, Result: img})
		out = append(out, checkPrivileged(ctx, l, img))
		out = append(out, checkKernel(ctx, l, img)...)
	} else {
		out = append(out, Check{Name: "Node image", Level: CheckWarn, Result: l.Config.NodeImage + " is not on the engine yet",
			Advice: []string{l.Config.Cmd("up") + " pulls it; where images cannot be pulled, run " + l.Config.Cmd("build node-image") + " first."}})
		out = append(out, checkIPVS(ctx, l, hostProcIPVS()))
	}
	out = append(out, doctorPorts(ctx, l)...)
	return out
}

func checkPrivileged(ctx context.Context, l *lab.Lab, img string) Check {
	ok, err := lab.TryPrivileged(ctx, l.Engine, img, l.Config.Name)
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
func checkKernel(ctx context.Context, l *lab.Lab, img string) []Check {
	script := `test -d /proc/sys/net/ipv4/vs && echo ipvs=yes || echo ipvs=no
ip link add swl-vx0 type vxlan id 4242 dstport 4789 2>/dev/null && { echo vxlan=yes; ip link del swl-vx0; } || echo vxlan=no`
	logs, _, err := lab.RunOnce(ctx, l.Engine, &container.Config{Image: img, Entrypoint: []string{"sh", "-c", script}, Labels: map[string]string{lab.LabelLab + ".probe": l.Config.Name}},
		&container.HostConfig{CapAdd: []string{"NET_ADMIN"}})
	if err != nil {
		return []Check{{Name: "Kernel", Level: CheckWarn, Result: "could not check: " + firstLine(err)}}
	}
	proc := strings.Contains(logs, "ipvs=yes")
	out := []Check{checkIPVS(ctx, l, &proc)}
	if strings.Contains(logs, "vxlan=yes") {
		out = append(out, Check{Name: "VXLAN", Level: CheckOK, Result: "works: overlay networks span the nodes"})
	} else {
		out = append(out, Check{Name: "VXLAN", Level: CheckFail, Result: "a VXLAN link could not be made",
			Advice: []string{"Overlay networks need the kernel's vxlan module ('modprobe vxlan' on the host)."}})
	}
	return out
}

func noIPVS(cfg lab.Config, why string) Check {
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

func doctorPorts(ctx context.Context, l *lab.Lab) []Check {
	inv, err := l.Inventory(ctx)
	if err != nil {
		return nil
	}
	ep, err := l.EndpointsOf(ctx, inv)
	if err != nil {
		return nil
	}
	var out []Check
	for _, p := range lab.HostPortStates(l.Config, ep, inv) {
		name := fmt.Sprintf("Port %d (%s)", p.Port, p.What)
		switch {
		case p.Ours:
			out = append(out, Check{Name: name, Level: CheckOK, Result: "held by this lab"})
		case p.InUse != nil:
			out = append(out, Check{Name: name, Level: CheckFail, Result: "in use on " + ep.Bind,
				Advice: []string{fmt.Sprintf("Free it, or pick another port: %s; %s picks a free one for a default port.", l.Config.Cmd("up --"+p.Key+"-port N"), l.Config.Cmd("up"))}})
		default:
			out = append(out, Check{Name: name, Level: CheckOK, Result: "free"})
		}
	}
	return out
}

// checkIPVS is doctor's IPVS line: the kernel's answer, else proc's (nil
// when there is none to read).
func checkIPVS(ctx context.Context, l *lab.Lab, proc *bool) Check {
	var rep kernel.Report
	img, err := l.KernelCheckImage(ctx)
	if err == nil {
		rep, err = lab.CheckKernel(ctx, l.Engine, img, l.Config.Name)
	}
	chk, err := lab.DecideIPVS(rep, err, proc)
	switch {
	case err != nil:
		return Check{Name: "IPVS", Level: CheckWarn, Result: firstLine(err)}
	case chk.Has && chk.Asked:
		return Check{Name: "IPVS", Level: CheckOK, Result: "present: service VIPs and the routing mesh work"}
	case chk.Has:
		return Check{Name: "IPVS", Level: CheckOK, Result: "present: service VIPs and the routing mesh work", Advice: []string{chk.Note}}
	case chk.Asked:
		return noIPVS(l.Config, "the kernel has no IPVS (asked through generic netlink)")
	}
	c := noIPVS(l.Config, "no IPVS found")
	c.Advice = append([]string{chk.Note}, c.Advice...)
	return c
}

// hostProcIPVS reads /proc/sys/net/ipv4/vs where the engine may share this
// machine's kernel (a Linux CLI); nil elsewhere.
func hostProcIPVS() *bool {
	if runtime.GOOS != "linux" {
		return nil
	}
	_, err := os.Stat("/proc/sys/net/ipv4/vs")
	has := err == nil
	return &has
}
