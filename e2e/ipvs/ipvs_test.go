//go:build e2e

// Package ipvs runs swarmlab's end-to-end checks on a kernel WITH IPVS, where
// swarm keeps service VIPs and the ingress routing mesh and the lab deploys
// the stack files as they are. It runs inside the VM that 'make e2e-ipvs'
// boots (e2e/ipvs/run-e2e.sh compiles it with 'go test -c', copies it and the
// swarmlab binary in, and runs it there as root), so elsewhere it skips.
//
// Environment:
//
//	SWARMLAB_E2E_IPVS=1      run at all (the VM driver sets it)
//	SWARMLAB_BIN             the swarmlab binary (default: swarmlab on PATH)
//	SWARMLAB_ARTIFACTS       where logs and timings go (default /root/e2e-ipvs)
//	SWARMLAB_E2E_FRESH=1|0   ip_vs must (0) or must not (1) be loaded before the first check
//	SWARMLAB_E2E_UP_TRIES    runs of 'up' allowed when one stops on a wait (default 2: one fallback rerun)
//	SWARMLAB_E2E_WORKERS     workers of TestSmoke's lab (default 3, the handout's)
//	SWARMLAB_E2E_CHAOS_RUNS  times TestChaos stops worker01 (default 3)
//
// The VM is emulated and 5-20x slower than a laptop, so every step has a
// generous timeout, and commands are stopped early only when their output
// stops moving (up's own waits print how long they have waited).
package ipvs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/chaos"
	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/probe"
	"github.com/swarmlab/swarmlab/stack"
)

var (
	bin     = envOr("SWARMLAB_BIN", "swarmlab")
	art     = envOr("SWARMLAB_ARTIFACTS", "/root/e2e-ipvs")
	testLab *lab.Lab
)

// The lab is the default one, as a learner runs it: containers manager,
// worker01..03, the ingress on 127.0.0.1:8000.
var workers = []string{"worker01", "worker02", "worker03"}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func TestMain(m *testing.M) {
	if os.Getenv("SWARMLAB_E2E_IPVS") != "1" {
		fmt.Println("skipping: these checks run inside the IPVS VM ('make e2e-ipvs')")
		os.Exit(0)
	}
	if err := os.MkdirAll(art, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	eng, err := docker.Connect()
	if err != nil {
		fmt.Fprintln(os.Stderr, "docker:", err)
		os.Exit(1)
	}
	testLab = lab.New(lab.Defaults(), eng, cli.NewStatus(io.Discard, true), slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

// ipvsLoaded reports whether the VM's kernel has ip_vs loaded now.
func ipvsLoaded() (module, proc bool) {
	_, errM := os.Stat("/sys/module/ip_vs")
	_, errP := os.Stat("/proc/sys/net/ipv4/vs")
	return errM == nil, errP == nil
}

// checkFresh asserts the boot's expected ip_vs state before anything used it.
func checkFresh(t *testing.T) {
	mod, proc := ipvsLoaded()
	record(t, "kernel before", 0, fmt.Sprintf("ip_vs module loaded=%v, /proc/sys/net/ipv4/vs=%v", mod, proc))
	switch os.Getenv("SWARMLAB_E2E_FRESH") {
	case "1":
		if mod || proc {
			t.Fatalf("a fresh boot was asked for, but ip_vs is loaded already (module %v, /proc %v)", mod, proc)
		}
	case "0":
		if !mod {
			t.Fatal("ip_vs should be preloaded on this boot")
		}
	}
}

// TestDetect is the check of a boot: before anything else, doctor must find
// IPVS, and after it the kernel has ip_vs loaded.
func TestDetect(t *testing.T) {
	checkFresh(t)
	testDoctor(t)
}

func testDoctor(t *testing.T) {
	start := time.Now()
	out, err := swarmlab(t, 5*time.Minute, 10*time.Minute, "doctor")
	save("doctor.log", out)
	record(t, "doctor", time.Since(start), firstMatch(out, "IPVS:"))
	if err != nil {
		t.Fatalf("doctor: %v\n%s", err, out)
	}
	if !strings.Contains(out, "✓ IPVS: present") {
		t.Fatalf("doctor does not report IPVS:\n%s", out)
	}
	mod, proc := ipvsLoaded()
	record(t, "kernel after doctor", 0, fmt.Sprintf("ip_vs module loaded=%v, /proc/sys/net/ipv4/vs=%v", mod, proc))
	if !mod || !proc {
		t.Fatalf("after doctor: ip_vs module %v, /proc/sys/net/ipv4/vs %v; want both", mod, proc)
	}
}

// TestLab walks the handout on one lab, in order.
func TestLab(t *testing.T) {
	ctx := context.Background()
	if out, err := swarmlab(t, 5*time.Minute, 15*time.Minute, "down", "--purge"); err != nil {
		t.Fatalf("down before the run: %v\n%s", err, out)
	}
	// The built-in stack files, not a copy an older swarmlab wrote.
	if home, err := os.UserHomeDir(); err == nil {
		os.RemoveAll(filepath.Join(home, ".local", "share", "swarmlab", testLab.Config.Name, "stack"))
	}
	checkFresh(t)
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"Up", testUp}, // first: on a fresh boot, up itself must find IPVS
		{"StacksUnchanged", func(t *testing.T) { testStacks(ctx, t) }},
		{"Doctor", testDoctor},
		{"HandoutServiceMesh", func(t *testing.T) { testHandoutService(ctx, t) }},
		{"IngressDeployedByHand", func(t *testing.T) { testIngressByHand(ctx, t) }},
		{"Verify", testVerify},
		{"ChaosWorker01", func(t *testing.T) { testChaos(ctx, t) }},
		{"NoZombies", func(t *testing.T) { testZombies(ctx, t) }},
		{"Down", testDown},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) && s.name == "Up" {
			t.Fatal("no lab: the other checks would only repeat the failure")
		}
	}
}

// TestChaos is the failover check run several times on one lab
// (PHASES=chaos make e2e-ipvs): a worker stopped under load, CHAOS_RUNS
// times (default 3), each with 0 failed requests through the ingress.
func TestChaos(t *testing.T) {
	ctx := context.Background()
	if out, err := swarmlab(t, 5*time.Minute, 15*time.Minute, "down", "--purge"); err != nil {
		t.Fatalf("down before the run: %v\n%s", err, out)
	}
	if !t.Run("Up", testUp) {
		t.Fatal("no lab: the other checks would only repeat the failure")
	}
	runs, err := strconv.Atoi(envOr("SWARMLAB_E2E_CHAOS_RUNS", "3"))
	if err != nil || runs < 1 {
		t.Fatalf("SWARMLAB_E2E_CHAOS_RUNS=%q: want a count of at least 1", os.Getenv("SWARMLAB_E2E_CHAOS_RUNS"))
	}
	for i := 1; i <= runs; i++ {
		t.Run(fmt.Sprintf("ChaosWorker01_%d", i), func(t *testing.T) { testChaos(ctx, t) })
	}
	t.Run("Down", testDown)
}

// TestSmoke is the short run CI takes on every submission ('make
// e2e-ipvs-smoke'): a bare lab, the handout's published service scaled to 6
// and answered on port 8000 of every node through the routing mesh, and one
// stack file deployed unchanged and reached through its VIP.
func TestSmoke(t *testing.T) {
	ctx := context.Background()
	if out, err := swarmlab(t, 5*time.Minute, 15*time.Minute, "down", "--purge"); err != nil {
		t.Fatalf("down before the run: %v\n%s", err, out)
	}
	// The node image is in the VM; nothing can be pulled there.
	upArgs := []string{"--bare", "--node-image", lab.LocalNodeImage}
	if n, err := strconv.Atoi(os.Getenv("SWARMLAB_E2E_WORKERS")); err == nil && n >= 1 && n < len(workers) {
		// Fewer emulated nodes, for a shorter run.
		workers = workers[:n]
		testLab.Config.Workers = n
		upArgs = append(upArgs, "--workers", strconv.Itoa(n))
	}
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"UpBare", func(t *testing.T) { upLab(t, upArgs...) }},
		{"PushHandoutImages", func(t *testing.T) { testPushImages(ctx, t) }},
		{"HandoutServiceMesh", func(t *testing.T) { testHandoutService(ctx, t) }},
		{"StackWithVIP", func(t *testing.T) { testStackVIP(ctx, t) }},
		{"Down", testDown},
		{"NoBuiltImagesLeft", testNoBuiltImages},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) && (s.name == "UpBare" || s.name == "PushHandoutImages") {
			t.Fatal("no lab to go on with: the other checks would only repeat the failure")
		}
	}
}

// testPushImages puts the handout's two images in the bare lab's registry,
// as the handout's 'docker build' and 'docker push' do (a bare lab deploys
// nothing, so up pushes nothing).
func testPushImages(ctx context.Context, t *testing.T) {
	start := time.Now()
	path, err := exec.LookPath(bin)
	if err != nil {
		t.Fatal(err)
	}
	path, sum, err := lab.ImageBinary(path, "linux", runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	imgs := lab.AppImages[:2] // swtest/api and swtest/nginx
	if err := testLab.BuildImages(ctx, path, sum, imgs); err != nil {
		t.Fatal(err)
	}
	ep, err := testLab.Endpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := testLab.PushImages(ctx, ep.Ports.Registry, imgs); err != nil {
		t.Fatal(err)
	}
	record(t, "build and push swtest/api, swtest/nginx", time.Since(start), "")
}

// testStackVIP deploys the handout's webapi.yml unchanged, as the handout
// types it, and reaches the proxy through its VIP from the overlay network.
func testStackVIP(ctx context.Context, t *testing.T) {
	start := time.Now()
	if out, err := inManager(t, 10*time.Minute, "docker", "network", "create", "--driver=overlay", "--attachable", "swtest_net"); err != nil {
		t.Fatalf("network create: %v\n%s", err, out)
	}
	want, _ := stack.Files.ReadFile("webapi.yml")
	if got := managerExec(t, 2*time.Minute, "cat", "/stack/webapi.yml"); got != string(want) {
		t.Fatal("/stack/webapi.yml in the manager differs from the built-in file")
	}
	out, err := inManager(t, 15*time.Minute, "docker", "stack", "deploy", "-c", "/stack/webapi.yml", "swtest")
	save("stack-deploy.log", out)
	if err != nil {
		t.Fatalf("stack deploy: %v\n%s", err, out)
	}
	mgr := manager(ctx, t)
	deadline := time.Now().Add(10 * time.Minute)
	for {
		svcs, err := mgr.ServiceList(ctx, swarm.ServiceListOptions{Status: true})
		if err != nil {
			t.Fatal(err)
		}
		var notes []string
		ready := len(svcs) > 0
		for _, s := range svcs {
			if s.Spec.Labels["com.docker.stack.namespace"] != "swtest" {
				continue
			}
			if s.ServiceStatus == nil || s.ServiceStatus.RunningTasks < s.ServiceStatus.DesiredTasks || s.ServiceStatus.DesiredTasks == 0 {
				ready = false
			}
			mode := swarm.ResolutionModeVIP
			if s.Spec.EndpointSpec != nil && s.Spec.EndpointSpec.Mode != "" {
				mode = s.Spec.EndpointSpec.Mode
			}
			if mode != swarm.ResolutionModeVIP || len(s.Endpoint.VirtualIPs) == 0 {
				t.Fatalf("%s: endpoint mode %s, %d VIPs; want vip with a VIP", s.Spec.Name, mode, len(s.Endpoint.VirtualIPs))
			}
			if s.ServiceStatus != nil {
				notes = append(notes, fmt.Sprintf("%s %d/%d VIP %s", s.Spec.Name, s.ServiceStatus.RunningTasks, s.ServiceStatus.DesiredTasks, s.Endpoint.VirtualIPs[0].Addr))
			}
		}
		if ready && len(notes) == 2 {
			sort.Strings(notes)
			record(t, "stack deploy swtest, converged", time.Since(start), strings.Join(notes, "; "))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("swtest did not converge in 10 minutes: %v", notes)
		}
		time.Sleep(3 * time.Second)
	}
	// swtest_nginx is its VIP on the overlay network; the proxy behind it
	// reaches the api replicas.
	start = time.Now()
	out, err = inManager(t, 10*time.Minute, "docker", "run", "--rm", "--network", "swtest_net", "--entrypoint", "/swarmlab",
		"registry:5000/swtest/api:latest", "probe", "http://swtest_nginx/api/info", "-n", "30", "--timeout", "10s")
	save("stack-vip-probe.log", out)
	record(t, "30 requests to swtest_nginx's VIP", time.Since(start), firstMatch(out, "replica"))
	if err != nil {
		t.Fatalf("through swtest_nginx's VIP: %v\n%s", err, out)
	}
}

// testNoBuiltImages: after 'down --purge' of the engine's only lab, none of
// the images swarmlab built (tagged or left untagged) stays.
func testNoBuiltImages(t *testing.T) {
	out, err := runQuiet(t, 2*time.Minute, "docker", "image", "ls", "--all", "--filter", "label=io.swarmlab.binary", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
	if err != nil {
		t.Fatalf("docker image ls: %v\n%s", err, out)
	}
	record(t, "images swarmlab built, left after down --purge", 0, fmt.Sprint(len(strings.Fields(out))/2))
	if strings.TrimSpace(out) != "" {
		t.Errorf("down --purge left images swarmlab built:\n%s", out)
	}
}

// testUp runs 'up' as a learner would: on the emulated machine its waits
// follow progress and it chooses a longer heartbeat by itself. Should it
// still stop on a wait, it is run again on what the failed run made
// (--retain), at most SWARMLAB_E2E_UP_TRIES-1 times: a fallback, reported in
// timings.tsv and the log, with which wait gave up and which node
// containers had stopped.
func testUp(t *testing.T) { upLab(t) }

// upLab is testUp with more arguments for up.
func upLab(t *testing.T, args ...string) {
	tries, _ := strconv.Atoi(envOr("SWARMLAB_E2E_UP_TRIES", "2"))
	start := time.Now()
	for i := 1; ; i++ {
		t0 := time.Now()
		out, err := swarmlab(t, 12*time.Minute, 45*time.Minute, append([]string{"up", "--retain"}, args...)...)
		save(fmt.Sprintf("up-%d.log", i), out)
		if err == nil {
			record(t, fmt.Sprintf("up run %d", i), time.Since(t0), "passed; "+firstMatch(out, "heartbeat"))
			if strings.Contains(out, "no IPVS") || strings.Contains(out, "dnsrr") {
				t.Errorf("up fell back to the no-IPVS stacks:\n%s", out)
			}
			if strings.Contains(out, "IPVS:") {
				t.Logf("up's IPVS note: %s", firstMatch(out, "IPVS:"))
			}
			note := "1 run"
			if i > 1 {
				note = fmt.Sprintf("FALLBACK: %d runs, up alone did not make it (see up-1.log)", i)
				t.Logf("%s", note)
			}
			record(t, "up total", time.Since(start), note)
			return
		}
		failed := firstMatch(out, "✗")
		record(t, fmt.Sprintf("up run %d", i), time.Since(t0), "failed at: "+failed+"; "+labState(t, i))
		if i >= tries || !waitRanOut(out) {
			t.Fatalf("up (run %d): %v\n%s", i, err, out)
		}
		// up starts a node whose dockerd gave up once; nodes that gave up
		// again are started one at a time here, as a rerun of up would start
		// them all at once. It also spares up's repair of a swarm that was
		// never formed: with its manager stopped, up waits for that manager
		// to rejoin a swarm it never had.
		t0 = time.Now()
		if err := startExited(t); err != nil {
			t.Fatalf("restarting the stopped nodes: %v", err)
		}
		record(t, fmt.Sprintf("nodes restarted one by one after run %d", i), time.Since(t0), "")
		t.Logf("FALLBACK: up run %d stopped on a wait (%s); running it again", i, failed)
	}
}

// labState lists the lab's containers and their states, and saves the last
// lines of any node that exited (under emulation a node's dockerd can give
// up waiting for its containerd).
func labState(t *testing.T, run int) string {
	out, _ := runQuiet(t, 2*time.Minute, "docker", "ps", "-a", "--filter", "label="+lab.LabelLab+"="+testLab.Config.Name, "--format", "{{.Names}} {{.Status}}")
	var exited []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		name, status, _ := strings.Cut(l, " ")
		if strings.HasPrefix(status, "Exited") {
			exited = append(exited, l)
			logs, _ := runQuiet(t, 2*time.Minute, "docker", "logs", "--tail", "40", name)
			save(fmt.Sprintf("up-%d-%s.log", run, name), logs)
			if strings.Contains(logs, "timeout waiting for containerd") {
				exited[len(exited)-1] += " (its dockerd timed out waiting for containerd)"
			}
		}
	}
	// What the swarm says, when a stack did not converge.
	sw, _ := runQuiet(t, 3*time.Minute, "docker", "exec", "manager", "sh", "-c",
		"docker node ls; docker service ls; docker service ps --no-trunc --format '{{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}} {{.Error}}' $(docker service ls -q)")
	save(fmt.Sprintf("up-%d-swarm.txt", run), sw)
	if len(exited) == 0 {
		return "all containers running"
	}
	return "exited: " + strings.Join(exited, ", ")
}

// startExited starts the lab's stopped containers one by one, each node
// until its engine answers.
func startExited(t *testing.T) error {
	out, err := runQuiet(t, 2*time.Minute, "docker", "ps", "-a", "--filter", "status=exited",
		"--filter", "label="+lab.LabelLab+"="+testLab.Config.Name, "--format", "{{.Names}}")
	if err != nil {
		return err
	}
	names := strings.Fields(out)
	sort.Slice(names, func(i, j int) bool { return rank(names[i]) < rank(names[j]) })
	for _, n := range names {
		ok := false
		for try := 1; try <= 3 && !ok; try++ {
			if out, err := runCmd(t, 5*time.Minute, 5*time.Minute, "docker", "start", n); err != nil {
				return fmt.Errorf("start %s: %v: %s", n, err, out)
			}
			if n == "registry" {
				ok = true
				break
			}
			deadline := time.Now().Add(5 * time.Minute)
			for time.Now().Before(deadline) {
				if _, err := runQuiet(t, time.Minute, "docker", "exec", n, "docker", "info"); err == nil {
					ok = true
					break
				}
				if st, _ := runQuiet(t, time.Minute, "docker", "inspect", "-f", "{{.State.Running}}", n); strings.TrimSpace(st) != "true" {
					t.Logf("%s stopped again (try %d)", n, try)
					break
				}
				time.Sleep(5 * time.Second)
			}
		}
		if !ok {
			return fmt.Errorf("the engine in %s did not come up", n)
		}
	}
	return nil
}

// rank orders the registry, then managers, then workers, as up starts them.
func rank(name string) int {
	switch {
	case name == "registry":
		return 0
	case strings.HasPrefix(name, "manager"):
		return 1
	}
	return 2
}

// waitRanOut tells a wait that gave up from another failure.
func waitRanOut(out string) bool {
	for _, s := range []string{"nothing changed for", "not done after", "deadline exceeded", "did not converge", "did not answer", "not Ready"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// testStacks reads the deployed services back: the stack files are the
// built-in ones, unchanged, with VIP endpoints and routing-mesh ports.
func testStacks(ctx context.Context, t *testing.T) {
	for _, s := range stack.Stacks {
		want, _ := stack.Files.ReadFile(s.File)
		got := managerExec(t, 2*time.Minute, "cat", "/stack/"+s.File)
		if got != string(want) {
			t.Errorf("/stack/%s in the manager differs from the built-in file", s.File)
		}
	}
	mgr := manager(ctx, t)
	svcs, err := mgr.ServiceList(ctx, swarm.ServiceListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	published := map[string][]string{}
	for _, s := range svcs {
		if s.Spec.Labels["com.docker.stack.namespace"] == "" {
			continue
		}
		mode := swarm.ResolutionModeVIP
		if s.Spec.EndpointSpec != nil && s.Spec.EndpointSpec.Mode != "" {
			mode = s.Spec.EndpointSpec.Mode
		}
		if mode != swarm.ResolutionModeVIP || len(s.Endpoint.VirtualIPs) == 0 {
			t.Errorf("%s: endpoint mode %s, %d VIPs; want vip with VIPs", s.Spec.Name, mode, len(s.Endpoint.VirtualIPs))
		}
		if s.Spec.EndpointSpec == nil {
			continue
		}
		for _, p := range s.Spec.EndpointSpec.Ports {
			published[s.Spec.Name] = append(published[s.Spec.Name], fmt.Sprintf("%d->%d/%s", p.PublishedPort, p.TargetPort, p.PublishMode))
		}
	}
	for name, want := range map[string]string{
		"ingress_haproxy": "1936->1936/ingress,80->80/ingress",
		"visualizer_app":  "9000->8080/ingress",
	} {
		sort.Strings(published[name])
		if got := strings.Join(published[name], ","); got != want {
			t.Errorf("%s publishes %q, want %q", name, got, want)
		}
	}
	b, _ := json.MarshalIndent(published, "", "  ")
	save("published-ports.json", string(b))
	record(t, "stacks read back", 0, fmt.Sprintf("VIP endpoints; ingress_haproxy %s; visualizer_app %s",
		strings.Join(published["ingress_haproxy"], ", "), strings.Join(published["visualizer_app"], ", ")))
}

// testHandoutService types the handout's service commands in the manager and
// reaches the service on port 8000 of every node: only the routing mesh
// answers there on a node that runs no task.
func testHandoutService(ctx context.Context, t *testing.T) {
	nodes := nodeIPs(ctx, t)
	start := time.Now()
	out, err := inManager(t, 15*time.Minute, "docker", "service", "create", "--replicas", "1", "--publish", "8000:8080", "--name", "api", "registry:5000/swtest/api:latest")
	save("service-create.log", out)
	record(t, "service create --publish 8000:8080", time.Since(start), "")
	if err != nil {
		t.Fatalf("service create: %v\n%s", err, out)
	}
	removed := false
	t.Cleanup(func() {
		if !removed {
			inManager(t, 10*time.Minute, "docker", "service", "rm", "api")
		}
	})
	running := managerExec(t, 2*time.Minute, "docker", "service", "ps", "--filter", "desired-state=running", "--format", "{{.Node}}", "api")
	t.Logf("api runs on %s", strings.TrimSpace(running))
	for _, n := range append([]string{"manager"}, workers...) {
		u := "http://" + nodes[n] + ":8000/api/info"
		t0 := time.Now()
		if err := waitOK(u, 5*time.Minute); err != nil {
			t.Errorf("%s:8000 (%s) through the routing mesh: %v", n, u, err)
			continue
		}
		record(t, "mesh answers on "+n+":8000", time.Since(t0), "task on "+strings.TrimSpace(running))
	}

	start = time.Now()
	out, err = inManager(t, 15*time.Minute, "docker", "service", "scale", "api=6")
	note := ""
	if err != nil && strings.Contains(out, "context deadline exceeded") {
		// The CLI gave up on a manager slowed by emulation; the learner
		// types it again (it is idempotent). Reported, not hidden.
		note = "FALLBACK: typed twice, the first gave 'context deadline exceeded'"
		t.Logf("%s", note)
		var again string
		again, err = inManager(t, 15*time.Minute, "docker", "service", "scale", "api=6")
		out += "\n--- typed again ---\n" + again
	}
	save("service-scale.log", out)
	record(t, "service scale api=6", time.Since(start), note)
	if err != nil {
		t.Fatalf("service scale: %v\n%s", err, out)
	}
	// New connections, so that IPVS balances each request.
	seen := map[string]bool{}
	deadline := time.Now().Add(3 * time.Minute)
	for len(seen) < 6 && time.Now().Before(deadline) {
		if h := hostname("http://" + nodes["manager"] + ":8000/api/info"); h != "" {
			seen[h] = true
		}
	}
	record(t, "replicas answering on manager:8000", 0, fmt.Sprintf("%d distinct of 6", len(seen)))
	if len(seen) < 4 {
		t.Errorf("only %d replicas answered on manager:8000 after scaling to 6", len(seen))
	}

	start = time.Now()
	out, err = inManager(t, 10*time.Minute, "docker", "service", "rm", "api")
	record(t, "service rm api", time.Since(start), "")
	if err != nil {
		t.Fatalf("service rm: %v\n%s", err, out)
	}
	removed = true
}

// testIngressByHand types the handout's 'docker stack deploy' of the ingress
// in the manager while requests go to 127.0.0.1:8000: the file is the one up
// deployed, so nothing may stop answering.
func testIngressByHand(ctx context.Context, t *testing.T) {
	const u = "http://127.0.0.1:8000/api/info"
	if err := waitOK(u, 3*time.Minute); err != nil {
		t.Fatalf("before: %v", err)
	}
	pctx, stop := context.WithCancel(ctx)
	var res probe.Result
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		res, _ = probe.Run(pctx, probe.Options{URL: u, Duration: time.Hour, Interval: 100 * time.Millisecond, Timeout: 10 * time.Second})
	}()
	start := time.Now()
	out, err := inManager(t, 15*time.Minute, "docker", "stack", "deploy", "-c", "/stack/ingress.yml", "ingress")
	record(t, "stack deploy ingress by hand", time.Since(start), "")
	time.Sleep(30 * time.Second) // and a while after: a task replaced late would show here
	stop()
	wg.Wait()
	save("ingress-by-hand.log", out+"\n"+res.String()+"\n"+strings.Join(res.Errors, "\n"))
	if err != nil {
		t.Fatalf("stack deploy: %v\n%s", err, out)
	}
	record(t, "127.0.0.1:8000 during and 30 s after", 0, res.String())
	if res.Failures != 0 || res.Requests == 0 {
		t.Errorf("127.0.0.1:8000: %s; errors: %v", res, res.Errors)
	}
	if err := waitOK(u, time.Minute); err != nil {
		t.Errorf("after: %v", err)
	}
	testStacks(ctx, t) // still VIPs and routing-mesh ports
}

func testVerify(t *testing.T) {
	start := time.Now()
	out, err := swarmlab(t, 10*time.Minute, 20*time.Minute, "verify")
	save("verify.log", out)
	record(t, "verify", time.Since(start), firstMatch(out, "checks"))
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
}

var chaosRuns int // how many testChaos ran, to name their artifacts

func testChaos(ctx context.Context, t *testing.T) {
	// After a failed run too: the checks after it need worker01 back, with
	// tasks on it again (--rebalance) for the next run to move.
	defer func() {
		start := time.Now()
		if out, err := swarmlab(t, 10*time.Minute, 20*time.Minute, "node", "start", "worker01", "--rebalance"); err != nil {
			t.Errorf("node start: %v\n%s", err, out)
			return
		}
		if err := testLab.WaitReady(ctx, lab.ReadyPatience); err != nil {
			t.Error(err)
			return
		}
		record(t, "worker01 back and Ready", time.Since(start), "")
	}()
	start := time.Now()
	out, err := swarmlab(t, 15*time.Minute, 20*time.Minute, "chaos", "worker01", "--json", "--timeout", "10m")
	chaosRuns++
	save(fmt.Sprintf("chaos-%d.json", chaosRuns), out)
	if err != nil {
		t.Fatalf("chaos: %v\n%s", err, out)
	}
	var f chaos.Failover
	if i := strings.Index(out, "{"); i < 0 || json.Unmarshal([]byte(out[i:]), &f) != nil {
		t.Fatalf("chaos --json printed no timeline:\n%s", out)
	}
	record(t, "chaos worker01", time.Since(start), f.String())
	if f.Failed != 0 || f.Requests == 0 {
		t.Errorf("through the ingress: %d of %d requests failed: %v", f.Failed, f.Requests, f.Errors)
	}
	if f.Rescheduled == 0 {
		t.Errorf("no task moved off worker01: the run tried nothing")
	}
}

// testZombies counts defunct processes in each node after the load above:
// the nodes run under the engine's init, which reaps them.
func testZombies(ctx context.Context, t *testing.T) {
	var notes []string
	for _, n := range append([]string{"manager"}, workers...) {
		pid1 := strings.TrimSpace(execIn(t, n, "cat", "/proc/1/comm"))
		// Counted twice: a process may be defunct for the instant before its reaping.
		z := min(defunct(t, n), func() int { time.Sleep(3 * time.Second); return defunct(t, n) }())
		notes = append(notes, fmt.Sprintf("%s: PID 1 %s, %d defunct", n, pid1, z))
		if pid1 != "docker-init" || z != 0 {
			t.Errorf("%s: PID 1 is %s, %d defunct processes", n, pid1, z)
		}
	}
	record(t, "defunct processes", 0, strings.Join(notes, "; "))
}

func defunct(t *testing.T, node string) int {
	n := 0
	for _, l := range strings.Split(execIn(t, node, "ps", "-eo", "stat="), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "Z") {
			n++
		}
	}
	return n
}

func testDown(t *testing.T) {
	start := time.Now()
	if out, err := swarmlab(t, 5*time.Minute, 15*time.Minute, "down", "--purge"); err != nil {
		t.Fatalf("down: %v\n%s", err, out)
	}
	record(t, "down --purge", time.Since(start), "")
}

// --- helpers ---

// swarmlab runs the binary; see runCmd for the timeouts.
func swarmlab(t *testing.T, idle, max time.Duration, args ...string) (string, error) {
	t.Helper()
	return runCmd(t, idle, max, bin, args...)
}

// inManager types a command in the manager, as the handout does.
func inManager(t *testing.T, max time.Duration, args ...string) (string, error) {
	t.Helper()
	return runCmd(t, max, max, "docker", append([]string{"exec", "manager"}, args...)...)
}

func managerExec(t *testing.T, max time.Duration, args ...string) string {
	t.Helper()
	out, err := runQuiet(t, max, "docker", append([]string{"exec", "manager"}, args...)...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func execIn(t *testing.T, node string, args ...string) string {
	t.Helper()
	out, err := runQuiet(t, 2*time.Minute, "docker", append([]string{"exec", node}, args...)...)
	if err != nil {
		t.Fatalf("in %s: %s: %v\n%s", node, strings.Join(args, " "), err, out)
	}
	return out
}

// runCmd runs a command, teeing its output to the log. It is killed when
// its output has not moved for idle, or after max in all: a slow step that
// still progresses is left to finish.
func runCmd(t *testing.T, idle, max time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	return run(t, true, idle, max, name, args...)
}

// runQuiet runs a command whose output is read, not shown.
func runQuiet(t *testing.T, max time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	return run(t, false, max, max, name, args...)
}

func run(t *testing.T, echo bool, idle, max time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), max)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	w := &progressWriter{last: time.Now(), echo: echo}
	cmd.Stdout, cmd.Stderr = w, w
	if echo {
		t.Logf("$ %s %s", name, strings.Join(args, " "))
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if ctx.Err() != nil {
				err = fmt.Errorf("%w (stopped after %s in all)", err, max)
			}
			return w.String(), err
		case <-tick.C:
			if w.idle() > idle {
				cancel()
				err := <-done
				return w.String(), fmt.Errorf("%w (stopped: no output for %s)", err, idle)
			}
		}
	}
}

type progressWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	last time.Time
	echo bool
}

func (w *progressWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = time.Now()
	if w.echo {
		os.Stdout.Write(p) // live progress in the driver's log
	}
	return w.buf.Write(p)
}

func (w *progressWriter) idle() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Since(w.last)
}

func (w *progressWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func manager(ctx context.Context, t *testing.T) docker.Swarm {
	t.Helper()
	mgr, _, err := testLab.Manager(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mgr.Close() })
	return mgr
}

// nodeIPs maps node names to their addresses on the lab network.
func nodeIPs(ctx context.Context, t *testing.T) map[string]string {
	t.Helper()
	inv, err := testLab.Inventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range testLab.Config.Nodes() {
		out[n.Name] = lab.NodeIP(inv.Subnet, n).String()
	}
	return out
}

var plain = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func waitOK(u string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		resp, err := plain.Get(u)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		time.Sleep(time.Second)
	}
	return fmt.Errorf("no answer within %s: %v", timeout, last)
}

// hostname is the replica that answered /api/info, on a new connection.
func hostname(u string) string {
	resp, err := plain.Get(u)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var info struct {
		Hostname string `json:"hostname"`
	}
	json.NewDecoder(resp.Body).Decode(&info)
	return info.Hostname
}

func firstMatch(out, sub string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, sub) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func save(name, content string) {
	os.WriteFile(filepath.Join(art, name), []byte(content), 0o644)
}

// record appends a timing to timings.tsv, which the driver gathers for
// docs/benchmarks.md.
func record(t *testing.T, what string, d time.Duration, note string) {
	t.Helper()
	line := fmt.Sprintf("%s\t%.1f\t%s\n", what, d.Seconds(), note)
	t.Logf("timing: %s", strings.TrimSpace(line))
	f, err := os.OpenFile(filepath.Join(art, "timings.tsv"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	f.WriteString(line)
}
