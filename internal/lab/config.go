package lab

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/swarmlab/swarmlab/stack"
)

// Config describes a lab. The zero value is not valid; start from Defaults.
type Config struct {
	// Name tells labs apart on one engine. Default "swarmlab", whose
	// containers keep the tutorial's plain names (manager, worker01, ...);
	// any other name prefixes them ("NAME-manager").
	Name string `yaml:"name"`
	// Managers is the number of manager nodes. Default 1; 3 gives a Raft quorum.
	Managers int `yaml:"managers"`
	// Workers is the number of worker nodes. Default 3.
	Workers int `yaml:"workers"`
	// NodeImage is the Docker-in-Docker image for nodes. Default "docker:dind".
	NodeImage string `yaml:"nodeImage"`
	// Subnet of the lab network. Default: chosen from 172.28.0.0/16, a /24 per lab.
	Subnet string `yaml:"subnet"`
	// Bind is the host address ports are published on. Default 127.0.0.1.
	Bind string `yaml:"bind"`
	// Ports published on the host.
	Ports Ports `yaml:"ports"`
	// Heartbeat is the swarm dispatcher heartbeat. Default 0: up chooses
	// from the engine's speed, up.DefaultHeartbeat (2s) on a fast one (swarm's own is 5s).
	Heartbeat time.Duration `yaml:"-"`
	// StackDir is mounted at /stack in the managers. Default: ./stack when it
	// holds webapi.yml, else a copy of the built-in stack files in the lab's data directory.
	StackDir string `yaml:"stackDir"`
}

// Ports are the host ports of a lab; 0 leaves a port unpublished.
type Ports struct {
	Ingress    int `yaml:"ingress" json:"ingress"`       // to manager:80. Default 8000.
	Visualizer int `yaml:"visualizer" json:"visualizer"` // to manager:9000. Default 9000.
	Stats      int `yaml:"stats" json:"stats"`           // to manager:1936, the ingress stats page. Default 1936.
	Registry   int `yaml:"registry" json:"registry"`     // to registry:5000. Default 5000.
}

// DefaultName is the lab that keeps the tutorial's container names.
const DefaultName = "swarmlab"

// Defaults returns the tutorial's lab.
func Defaults() Config {
	return Config{
		Name:      DefaultName,
		Managers:  1,
		Workers:   3,
		NodeImage: "docker:dind",
		Bind:      "127.0.0.1",
		Ports:     Ports{Ingress: 8000, Visualizer: 9000, Stats: 1936, Registry: 5000},
	}
}

// Limits keep a lab within what one machine can hold.
const (
	MaxManagers = 7
	MaxWorkers  = 20
)

var typeRE = regexp.MustCompile(` (not found )?in type [^\n]*`)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// Validate reports every problem with c at once, each with what to do.
func (c Config) Validate() error {
	var errs []error
	if !nameRE.MatchString(c.Name) {
		errs = append(errs, fmt.Errorf("name %q: use 1-31 lower-case letters, digits or '-', starting with a letter or digit", c.Name))
	}
	if c.Managers < 1 || c.Managers > MaxManagers {
		errs = append(errs, fmt.Errorf("managers %d: must be between 1 and %d (1 or 3 are usual)", c.Managers, MaxManagers))
	}
	if c.Workers < 0 || c.Workers > MaxWorkers {
		errs = append(errs, fmt.Errorf("workers %d: must be between 0 and %d", c.Workers, MaxWorkers))
	}
	if strings.TrimSpace(c.NodeImage) == "" {
		errs = append(errs, errors.New("nodeImage is empty: give an image such as docker:dind, or run "+c.Cmd("build node-image")))
	}
	if c.Subnet != "" {
		p, err := netip.ParsePrefix(c.Subnet)
		if err != nil || !p.Addr().Is4() || p.Bits() > 24 || p.Masked() != p {
			errs = append(errs, fmt.Errorf("subnet %q: give an IPv4 network of /24 or larger, such as 172.28.0.0/24", c.Subnet))
		}
	}
	if _, err := netip.ParseAddr(c.Bind); err != nil {
		errs = append(errs, fmt.Errorf("bind %q: not an IP address (use 127.0.0.1, or 0.0.0.0 for every interface)", c.Bind))
	}
	seen := map[int]string{}
	for _, p := range []struct {
		name string
		port int
	}{{"ingress", c.Ports.Ingress}, {"visualizer", c.Ports.Visualizer}, {"stats", c.Ports.Stats}, {"registry", c.Ports.Registry}} {
		if p.port == 0 {
			continue
		}
		if p.port < 1 || p.port > 65535 {
			errs = append(errs, fmt.Errorf("%s port %d: must be between 1 and 65535", p.name, p.port))
			continue
		}
		if other, ok := seen[p.port]; ok {
			errs = append(errs, fmt.Errorf("%s port %d: already used for %s", p.name, p.port, other))
		}
		seen[p.port] = p.name
	}
	if c.Ports.Registry == 0 {
		errs = append(errs, errors.New("registry port 0: the host pushes images through it, so it cannot be turned off"))
	}
	if c.Heartbeat != 0 && (c.Heartbeat < 500*time.Millisecond || c.Heartbeat > time.Minute) {
		errs = append(errs, fmt.Errorf("heartbeat %s: must be between 500ms and 1m", c.Heartbeat))
	}
	return errors.Join(errs...)
}

// LoadFile reads a YAML config over base. Unknown keys are errors, so a typo
// is not silently ignored.
func LoadFile(path string, base Config) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return base, fmt.Errorf("read config: %w", err)
	}
	return parseConfig(data, base, path)
}

func parseConfig(data []byte, base Config, path string) (Config, error) {
	var raw struct {
		Config    `yaml:",inline"`
		Heartbeat string `yaml:"heartbeat"`
	}
	raw.Config = base
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		// yaml names Go types in its errors; the user only needs the key and line.
		msg := typeRE.ReplaceAllString(err.Error(), "")
		msg = strings.ReplaceAll(msg, "field ", "unknown key ")
		if strings.Contains(msg, "escape character") || strings.Contains(msg, "hexdecimal number") { // \U, \s ... in double quotes
			msg += ` (in double quotes a backslash starts an escape: write a Windows path in single quotes, 'C:\Users\me\stack', or with forward slashes, C:/Users/me/stack)`
		}
		return base, fmt.Errorf("config %s: %s", path, msg)
	}
	c := raw.Config
	c.Heartbeat = base.Heartbeat
	if raw.Heartbeat != "" {
		d, err := time.ParseDuration(raw.Heartbeat)
		if err != nil {
			return base, fmt.Errorf("config %s: heartbeat %q: write a duration such as 2s", path, raw.Heartbeat)
		}
		c.Heartbeat = d
	}
	return c, nil
}

// The lab's names, addresses and ports, all derived from its Config.

// ContainerName is the node's container name on the host engine.
func (c Config) ContainerName(node string) string {
	if c.Name == DefaultName {
		return node
	}
	return c.Name + "-" + node
}

// NetworkName is the lab's bridge network.
func (c Config) NetworkName() string { return c.Name }

// VolumeName holds a node's /var/lib/docker so that stop/start keeps the swarm.
func (c Config) VolumeName(node string) string { return c.Name + "-" + node }

// RegistryVolume holds the registry's data; down keeps it unless purged.
func (c Config) RegistryVolume() string { return c.Name + "-registry-data" }

// Nodes lists the planned nodes, managers first. The first manager is named
// "manager" as in the tutorial; more managers are manager02, manager03, ...
func (c Config) Nodes() []Node {
	var nodes []Node
	for i := 0; i < c.Managers; i++ {
		name := "manager"
		if i > 0 {
			name = fmt.Sprintf("manager%02d", i+1)
		}
		nodes = append(nodes, Node{Name: name, Role: RoleManager, Index: i})
	}
	for i := 0; i < c.Workers; i++ {
		nodes = append(nodes, Node{Name: fmt.Sprintf("worker%02d", i+1), Role: RoleWorker, Index: i})
	}
	return nodes
}

// FrontNode is the container that publishes the ingress, visualizer and
// stats ports: the manager, as in the tutorial, or the edge forwarder when
// there are several managers.
func (c Config) FrontNode() string {
	if c.Managers > 1 {
		return RoleEdge
	}
	return "manager"
}

// HostPort is one port a lab publishes on the host.
type HostPort struct {
	Port int    // on the host; 0 when not published
	Node string // the container that publishes it
	What string // what it serves, for messages
	Key  string // its name under ports: in the config file, and in --KEY-port
}

// HostPorts lists the ports the lab publishes, in the order messages give
// them, with the numbers of p: the config's (Endpoints) or those up chose.
func (c Config) HostPorts(p Ports) []HostPort {
	front := c.FrontNode()
	return []HostPort{
		{p.Registry, RoleRegistry, "registry", "registry"},
		{p.Ingress, front, "ingress", "ingress"},
		{p.Visualizer, front, "visualizer", "visualizer"},
		{p.Stats, front, "ingress stats", "stats"},
	}
}

// CandidateSubnets lists the /24s tried for a lab without a configured
// subnet, starting at one derived from its name so that two labs rarely
// try the same one first.
func (c Config) CandidateSubnets() []netip.Prefix {
	if c.Subnet != "" {
		return []netip.Prefix{netip.MustParsePrefix(c.Subnet)}
	}
	start := 0
	if c.Name != DefaultName {
		h := fnv.New32a()
		h.Write([]byte(c.Name))
		start = int(h.Sum32() % 200)
	}
	var out []netip.Prefix
	for i := 0; i < 16; i++ {
		third := byte((start + i*13) % 250)
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 28, third, 0}), 24))
	}
	return out
}

// StackDirPath returns the folder mounted at /stack: the configured one, else
// ./stack when it holds the stack files (a checkout of swarmlab), else the
// lab's own copy of the built-in files, written on first use.
func (c Config) StackDirPath() (string, error) {
	if c.StackDir != "" {
		return filepath.Abs(c.StackDir)
	}
	if _, err := os.Stat(filepath.Join("stack", "webapi.yml")); err == nil {
		return filepath.Abs("stack")
	}
	dir := filepath.Join(dataHome(), "swarmlab", c.Name, "stack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for _, s := range stack.Stacks {
		p := filepath.Join(dir, s.File)
		if _, err := os.Stat(p); err == nil {
			continue // the learner may have edited it
		}
		data, _ := stack.Files.ReadFile(s.File)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func dataHome() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return d
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share")
	}
	return os.TempDir()
}

// Swarmlab is the command line that runs args on this lab: 'swarmlab
// --name NAME ARGS' for any lab but the default one. Every hint that names
// a command is made here, so that following it reaches the same lab.
func (c Config) Swarmlab(args string) string {
	if c.Name == "" || c.Name == DefaultName {
		return "swarmlab " + args
	}
	return "swarmlab --name " + c.Name + " " + args
}

// Cmd is Swarmlab in quotes, as hints and messages quote a command.
func (c Config) Cmd(args string) string { return "'" + c.Swarmlab(args) + "'" }
