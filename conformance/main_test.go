package conformance

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	bin         string // the swarmlab binary under test
	withHAProxy = os.Getenv("CONFORMANCE_HAPROXY") == "1"
	table       = &outcomes{cells: map[[2]string]string{}}
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		if bin = os.Getenv("SWARMLAB_BIN"); bin == "" {
			dir, err := os.MkdirTemp("", "swarmlab-conformance-")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(dir)
			bin = filepath.Join(dir, "swarmlab")
			build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/swarmlab")
			build.Dir, build.Env = "..", append(os.Environ(), "CGO_ENABLED=0")
			if out, err := build.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "build swarmlab: %v\n%s", err, out)
				return 1
			}
		}
		if withHAProxy {
			if _, err := exec.LookPath("haproxy"); err != nil {
				fmt.Fprintln(os.Stderr, "CONFORMANCE_HAPROXY=1 but haproxy is not installed (apt-get install haproxy)")
				return 1
			}
		}
		code := m.Run()
		table.publish()
		return code
	}())
}

// The targets: the two swarmlab servers, asserted, and HAProxy, recorded.
const (
	ingress = "ingress"
	proxy   = "proxy"
	haproxy = "haproxy"
)

func targets() []string {
	if withHAProxy {
		return []string{ingress, proxy, haproxy}
	}
	return []string{ingress, proxy}
}

// check gathers one case's result on one target: what happened, for the
// table, and which rule broke. On the swarmlab targets a broken rule fails
// the test; on the reference target it is only recorded.
type check struct {
	t      *testing.T
	target string
	notes  []string
	fails  []string
}

func newCheck(t *testing.T, target string) *check {
	c := &check{t: t, target: target}
	t.Cleanup(func() { table.record(t.Name(), c) })
	return c
}

// note records what the target did, for the table.
func (c *check) note(format string, args ...any) {
	c.notes = append(c.notes, fmt.Sprintf(format, args...))
}

// fail records a broken rule.
func (c *check) fail(format string, args ...any) {
	c.t.Helper()
	msg := fmt.Sprintf(format, args...)
	c.fails = append(c.fails, msg)
	if c.target == haproxy {
		c.t.Logf("reference only, not asserted: %s", msg)
	} else {
		c.t.Error(msg)
	}
}

// ok fails the check with err's message when err is not nil.
func (c *check) ok(err error, what string) bool {
	c.t.Helper()
	if err != nil {
		c.fail("%s: %v", what, err)
	}
	return err == nil
}

// outcomes is the table of case × target → outcome.
type outcomes struct {
	mu    sync.Mutex
	cells map[[2]string]string // [case, target]
}

func (o *outcomes) record(name string, c *check) {
	parts := strings.Split(name, "/") // TestX/case.../target
	row := strings.Join(parts[1:len(parts)-1], "/")
	cell := strings.Join(c.notes, "; ")
	if n := len(c.fails); n > 0 {
		cell = "**FAIL** " + c.fails[0]
		if len(cell) > 300 {
			cell = cell[:300] + "…"
		}
		if n > 1 {
			cell += fmt.Sprintf(" (+%d more)", n-1)
		}
	}
	cell = strings.NewReplacer("|", `\|`, "\n", " ", "\r", `\r`).Replace(cell)
	o.mu.Lock()
	o.cells[[2]string{row, c.target}] = cell
	o.mu.Unlock()
}

// publish prints the table and writes it to $SWARMLAB_ARTIFACTS.
func (o *outcomes) publish() {
	if len(o.cells) == 0 {
		return
	}
	var rows []string
	for k := range o.cells {
		if !slices.Contains(rows, k[0]) {
			rows = append(rows, k[0])
		}
	}
	slices.Sort(rows)
	var b strings.Builder
	cols := targets()
	fmt.Fprintf(&b, "| case | %s |\n|---|%s\n", strings.Join(cols, " | "), strings.Repeat("---|", len(cols)))
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s |", r)
		for _, col := range cols {
			cell, ok := o.cells[[2]string{r, col}]
			if !ok {
				cell = "–" // not run on this target
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	fmt.Printf("\nconformance outcomes:\n%s", b.String())
	if dir := os.Getenv("SWARMLAB_ARTIFACTS"); dir != "" {
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "conformance.md"), []byte("# Conformance outcomes\n\n"+b.String()), 0o644)
	}
}

// lab is one target process with its scripted backends.
type lab struct {
	addr     string // where clients connect
	pid      int
	backends []*backend
}

// labSpec says what a case needs behind the target.
type labSpec struct {
	backends int    // default 1; the proxy takes only one
	script   script // the case's own answers, before the defaults
	// ingressEnv, when set, is the ingress's environment (settings the
	// proxy does not have); the proxy is then not a target.
	ingressEnv []string
	// haproxyDefaults is added to HAProxy's defaults section, to match
	// ingressEnv.
	haproxyDefaults string
}

// eachTarget runs fn in a parallel subtest per target, each on a lab of
// its own, so a case cannot disturb another.
func eachTarget(t *testing.T, spec labSpec, fn func(c *check, l *lab)) {
	for _, target := range targets() {
		if target == proxy && (spec.backends > 1 || spec.ingressEnv != nil) {
			continue
		}
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			c := newCheck(t, target)
			fn(c, startLab(t, target, spec))
		})
	}
}

func startLab(t *testing.T, target string, spec labSpec) *lab {
	l := &lab{addr: freeAddr(t, "127.0.0.1")}
	var addrs []string
	for i := range max(spec.backends, 1) {
		b := startBackend(t, "127.0.0.1:0", fmt.Sprintf("b%d", i+1), spec.script)
		l.backends = append(l.backends, b)
		addrs = append(addrs, b.addr)
	}
	var cmd *exec.Cmd
	var env []string
	switch target {
	case ingress:
		cmd = exec.Command(bin, "ingress", "--listen", l.addr, "--stats-port", "0", "--static-backends", strings.Join(addrs, ","))
		env = spec.ingressEnv
	case proxy:
		_, port, _ := net.SplitHostPort(l.addr)
		cmd = exec.Command(bin, "proxy", "--backend", addrs[0], "--port", port)
	case haproxy:
		cfg := haproxyConfig(l.addr, "default_backend be\n", map[string][]string{"be": addrs})
		cfg = strings.Replace(cfg, "frontend fe\n", spec.haproxyDefaults+"frontend fe\n", 1)
		cmd = haproxyCommand(t, cfg)
	}
	l.pid = run(t, cmd, l.addr, env, target != haproxy)
	return l
}

// freeAddr returns host:port with a port free at the moment, for a target
// to listen on. Ports come from a range below the kernel's ephemeral one
// (32768 and up on Linux) and from a counter, so that two targets started
// at once never get the same port and no outgoing connection takes it
// between the check and the target's listen.
func freeAddr(t *testing.T, host string) string {
	t.Helper()
	for range 1000 {
		port := 20000 + int(nextPort.Add(1)%10000)
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			continue
		}
		ln.Close()
		return ln.Addr().String()
	}
	t.Fatal("no free port in 20000-29999")
	return ""
}

var nextPort atomic.Int64

func init() { nextPort.Store(time.Now().UnixNano() % 10000) }

// run starts a target process with default settings (only env added to a
// bare environment), waits until it accepts connections on addr, and kills
// it when the test ends, or when the test binary dies.
func run(t *testing.T, cmd *exec.Cmd, addr string, env []string, logsAddr bool) int {
	t.Helper()
	out := &syncBuffer{}
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "ACCESS_LOG=false"}, env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(cmd.Path), out.tail(4000))
		}
	})
	// A swarmlab target says where it listens; waiting for that line, not
	// for a connect, makes sure the port is this process's and not another
	// suite's running at the same time on the machine.
	_, port, _ := net.SplitHostPort(addr)
	said := regexp.MustCompile(`addr=\S*:` + port + `\b`)
	ours := func() bool { return !logsAddr || said.MatchString(out.String()) }
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("%s exited at start:\n%s", cmd, out.tail(4000))
		default:
		}
		if ours() {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				return cmd.Process.Pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen on %s after 10s:\n%s", cmd, addr, out.tail(4000))
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.b.Bytes()
	return string(b[max(0, len(b)-n):])
}

// haproxyConfig is HAProxy in mode http, set up as the ingress is: the
// same timeouts and forwarding headers. routing holds the frontend's
// use_backend and default_backend lines.
func haproxyConfig(listen, routing string, backends map[string][]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
    maxconn 4096
defaults
    mode http
    option http-keep-alive
    option forwardfor
    timeout connect 1s
    timeout client 90s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 90s
frontend fe
    bind %s
    http-request set-header X-Real-IP %%[src]
    http-request set-header X-Forwarded-Proto http
    http-request set-header X-Forwarded-Host %%[req.hdr(host)]
    %s`, listen, routing)
	names := make([]string, 0, len(backends))
	for name := range backends {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(&b, "backend %s\n    balance roundrobin\n", name)
		for i, a := range backends[name] {
			fmt.Fprintf(&b, "    server s%d %s\n", i+1, a)
		}
	}
	return b.String()
}

func haproxyCommand(t *testing.T, config string) *exec.Cmd {
	cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return exec.Command("haproxy", "-db", "-f", cfg)
}
