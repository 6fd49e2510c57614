package ingress

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/swarmlab/swarmlab/internal/lb"
)

// LabelPrefix starts the service labels that override the environment
// variables, e.g. swarmlab.ingress.virtual_host.
const LabelPrefix = "swarmlab.ingress."

// The per-service settings, by environment variable name (as dockercloud/haproxy).
const (
	EnvServicePorts = "SERVICE_PORTS"
	EnvVirtualHost  = "VIRTUAL_HOST"
	EnvBalance      = "BALANCE"
	EnvHealthCheck  = "HEALTH_CHECK"
	EnvExcludePorts = "EXCLUDE_PORTS"
)

var settingNames = []string{EnvServicePorts, EnvVirtualHost, EnvBalance, EnvHealthCheck, EnvExcludePorts}

// LabelName returns the service label for an environment variable name:
// SERVICE_PORTS -> swarmlab.ingress.service_ports.
func LabelName(env string) string { return LabelPrefix + strings.ToLower(env) }

// Settings is what a service asks of the ingress.
type Settings struct {
	Ports        []int         // backend ports to route to, first is the default
	VirtualHosts []HostPattern // empty: a default route matching any host
	Balance      string        // lb policy name
	Health       HealthSettings
}

// HealthSettings is a parsed HEALTH_CHECK.
type HealthSettings struct {
	Enabled bool
	Check   lb.HealthCheck
}

// DefaultHealth is used when HEALTH_CHECK is unset: like dockercloud/haproxy's
// default "check", a TCP check every 2s, rise 2, fall 3.
var DefaultHealth = HealthSettings{Enabled: true, Check: lb.HealthCheck{Interval: 2 * time.Second, Rise: 2, Fall: 3}}

// ErrNotOptedIn means the service has no SERVICE_PORTS: not for the ingress.
var ErrNotOptedIn = errors.New("no SERVICE_PORTS")

// ParseSettings reads a service's settings from its container environment
// ("KEY=value" entries) and labels; a label overrides the variable. It
// returns ErrNotOptedIn when the service does not ask to be routed.
func ParseSettings(env []string, labels map[string]string) (Settings, error) {
	vals := map[string]string{}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if ok && slices.Contains(settingNames, k) {
			vals[k] = v
		}
	}
	for _, name := range settingNames {
		if v, ok := labels[LabelName(name)]; ok {
			vals[name] = v
		}
	}
	var s Settings
	if strings.TrimSpace(vals[EnvServicePorts]) == "" {
		if vals[EnvVirtualHost] != "" {
			return s, fmt.Errorf("VIRTUAL_HOST is set but SERVICE_PORTS is not: set SERVICE_PORTS to the port the service listens on")
		}
		return s, ErrNotOptedIn
	}
	var errs []error
	ports, err := ParsePorts(vals[EnvServicePorts])
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvServicePorts, err))
	}
	if v := vals[EnvExcludePorts]; v != "" {
		ex, err := ParsePorts(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvExcludePorts, err))
		}
		ports = slices.DeleteFunc(ports, func(p int) bool { return slices.Contains(ex, p) })
		if err == nil && len(ports) == 0 {
			errs = append(errs, fmt.Errorf("EXCLUDE_PORTS removes every port of SERVICE_PORTS"))
		}
	}
	s.Ports = ports
	if s.VirtualHosts, err = ParseVirtualHost(vals[EnvVirtualHost]); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvVirtualHost, err))
	}
	if s.Balance, err = ParseBalance(vals[EnvBalance]); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvBalance, err))
	}
	if s.Health, err = ParseHealthCheck(vals[EnvHealthCheck]); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvHealthCheck, err))
	}
	return s, errors.Join(errs...)
}

// ParsePorts parses a comma list of ports such as "80, 8080".
func ParsePorts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := strconv.Atoi(f)
		if err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("%q is not a port (1-65535); want a list such as \"80, 8080\"", f)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no port in %q", s)
	}
	return out, nil
}

// HostPattern is one VIRTUAL_HOST entry: [scheme://]host[:port][/path].
// Host and Path may hold * wildcards; an empty field matches anything.
type HostPattern struct {
	Scheme string // "http" or "https"; ws and wss map to these
	Host   string // lower case; "" or "*" matches any host
	Port   int    // 0 matches any port
	Path   string // glob on the URL path, "" matches any path
}

func (p HostPattern) String() string {
	s := p.Scheme + "://" + p.Host
	if p.Host == "" {
		s += "*"
	}
	if p.Port != 0 {
		s += ":" + strconv.Itoa(p.Port)
	}
	return s + p.Path
}

// ParseVirtualHost parses a comma list of VIRTUAL_HOST entries, e.g.
// "web.example.com, http://*.example.com:80/api/*". An empty string gives
// no pattern (a default route).
func ParseVirtualHost(s string) ([]HostPattern, error) {
	var out []HostPattern
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		p, err := parseHostPattern(e)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", e, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseHostPattern(e string) (HostPattern, error) {
	p := HostPattern{Scheme: "http"}
	if scheme, rest, ok := strings.Cut(e, "://"); ok {
		switch strings.ToLower(scheme) {
		case "http", "ws":
		case "https", "wss":
			p.Scheme = "https"
		default:
			return p, fmt.Errorf("unknown scheme %q (want http or https)", scheme)
		}
		e = rest
	}
	hostport, path, hasPath := strings.Cut(e, "/")
	if hasPath {
		p.Path = "/" + path
		for i := 0; i < len(p.Path); i++ {
			if c := p.Path[i]; c <= ' ' || c >= 0x7f || c == '?' || c == '#' {
				return p, fmt.Errorf("path %q has a space, control character, ? or #", p.Path)
			}
		}
	}
	host := hostport
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		host = hostport[:i]
		port, err := strconv.Atoi(hostport[i+1:])
		if err != nil || port < 1 || port > 65535 {
			return p, fmt.Errorf("port %q is not a number between 1 and 65535", hostport[i+1:])
		}
		p.Port = port
	}
	host = strings.ToLower(host)
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '*') {
			return p, fmt.Errorf("host %q may only hold letters, digits, '.', '-', '_' and '*'", host)
		}
	}
	if host == "" && !hasPath && p.Port == 0 {
		return p, errors.New("empty host")
	}
	if host == "*" {
		host = ""
	}
	p.Host = host
	return p, nil
}

// ParseBalance checks a BALANCE value; "" means roundrobin.
func ParseBalance(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if _, err := lb.NewSelector(s); err != nil {
		return "", err
	}
	if s == "" {
		s = lb.PolicyRoundRobin
	}
	return s, nil
}

// ParseHealthCheck parses HEALTH_CHECK, a subset of HAProxy's server
// options: "check [inter 2000] [rise 2] [fall 3] [timeout 1s] [path /health]".
// Bare numbers are milliseconds, as in HAProxy; "2s" also works. Without
// "path" the check is a TCP connect; with it an HTTP GET expecting 2xx/3xx.
// "none", "off" or "disable" turns active checks off. "" gives DefaultHealth.
func ParseHealthCheck(s string) (HealthSettings, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return DefaultHealth, nil
	}
	if len(f) == 1 && slices.Contains([]string{"none", "off", "disable", "disabled"}, strings.ToLower(f[0])) {
		return HealthSettings{}, nil
	}
	h := DefaultHealth
	for i := 0; i < len(f); i++ {
		key := strings.ToLower(f[i])
		if key == "check" {
			continue
		}
		if i+1 >= len(f) {
			return h, fmt.Errorf("%q needs a value", key)
		}
		val := f[i+1] // case kept: paths are case-sensitive
		i++
		switch key {
		case "inter", "timeout":
			d, err := parseMillis(val)
			if err != nil {
				return h, fmt.Errorf("%s: %w", key, err)
			}
			if key == "inter" {
				h.Check.Interval = d
			} else {
				h.Check.Timeout = d
			}
		case "rise", "fall":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 || n > 1000 {
				return h, fmt.Errorf("%s %q: want a count between 1 and 1000", key, val)
			}
			if key == "rise" {
				h.Check.Rise = n
			} else {
				h.Check.Fall = n
			}
		case "path":
			if !strings.HasPrefix(val, "/") {
				return h, fmt.Errorf("path %q must start with /", val)
			}
			for j := 0; j < len(val); j++ {
				if val[j] < '!' || val[j] >= 0x7f {
					return h, fmt.Errorf("path %q has a control character", val)
				}
			}
			h.Check.Path = val
		default:
			return h, fmt.Errorf("unknown option %q (want check, inter, rise, fall, timeout, path or none)", key)
		}
	}
	return h, nil
}

// parseMillis reads HAProxy-style durations: bare numbers are ms.
func parseMillis(s string) (time.Duration, error) {
	var d time.Duration
	if n, err := strconv.Atoi(s); err == nil {
		d = time.Duration(n) * time.Millisecond
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("%q is not a duration (2000, 2s, 500ms)", s)
	}
	if d < 10*time.Millisecond || d > time.Hour {
		return 0, fmt.Errorf("%q out of range (10ms to 1h)", s)
	}
	return d, nil
}
