package lab

import (
	"context"
	"net"
	"strconv"

	"github.com/docker/go-connections/nat"
)

// Endpoints are where a lab answers on the host: the address and the ports
// its containers publish. The config says what is asked for; up may choose
// other ports when those are taken (package up), and the containers keep
// what up chose, so every command after up reads them from the engine
// (Lab.Endpoints) rather than from the config.
type Endpoints struct {
	Bind  string `json:"bind"`
	Ports Ports  `json:"ports"`
}

// Endpoints are the ports and address the config asks for.
func (c Config) Endpoints() Endpoints { return Endpoints{Bind: c.Bind, Ports: c.Ports} }

// URL is the host URL of a published port.
func (e Endpoints) URL(port int) string {
	host := e.Bind
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(port))
}

// Endpoints reads where the lab answers from its containers: what up
// published, whatever flags or config this command was given. A port whose
// container does not exist keeps the config's number.
func (l *Lab) Endpoints(ctx context.Context) (Endpoints, error) {
	inv, err := l.Inventory(ctx)
	if err != nil {
		return l.Config.Endpoints(), err
	}
	return l.EndpointsOf(ctx, inv)
}

// EndpointsOf is Endpoints from an inventory the caller has just read.
func (l *Lab) EndpointsOf(ctx context.Context, inv Inventory) (Endpoints, error) {
	ep := l.Config.Endpoints()
	read := func(node string, ports map[string]*int) error {
		c, ok := inv.Containers[node]
		if !ok {
			return nil
		}
		ins, err := l.Engine.ContainerInspect(ctx, c.ID)
		if err != nil {
			return EngineError(err)
		}
		if ins.ContainerJSONBase == nil || ins.HostConfig == nil {
			return nil
		}
		for cport, p := range ports {
			*p = 0
			for _, b := range ins.HostConfig.PortBindings[nat.Port(cport+"/tcp")] {
				if v, err := strconv.Atoi(b.HostPort); err == nil {
					*p = v
					if b.HostIP != "" {
						ep.Bind = b.HostIP
					}
				}
			}
		}
		return nil
	}
	if err := read(RoleRegistry, map[string]*int{"5000": &ep.Ports.Registry}); err != nil {
		return ep, err
	}
	front := "manager"
	if _, ok := inv.Containers[RoleEdge]; ok {
		front = RoleEdge
	}
	err := read(front, map[string]*int{"80": &ep.Ports.Ingress, "9000": &ep.Ports.Visualizer, "1936": &ep.Ports.Stats})
	return ep, err
}

// PortState is one host port the lab publishes, and who holds it.
type PortState struct {
	HostPort
	Ours  bool  // a running container of this lab publishes it
	InUse error // why it cannot be bound, when something else holds it
}

// HostPortStates looks at every host port the lab publishes, for up and doctor.
func HostPortStates(cfg Config, ep Endpoints, inv Inventory) []PortState {
	var out []PortState
	for _, p := range cfg.HostPorts(ep.Ports) {
		if p.Port == 0 {
			continue
		}
		st := PortState{HostPort: p, Ours: inv.Running(p.Node)}
		if !st.Ours {
			st.InUse = PortFree(ep.Bind, p.Port)
		}
		out = append(out, st)
	}
	return out
}

// PortFree reports whether addr:port can be bound now.
func PortFree(addr string, port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return ln.Close()
}
