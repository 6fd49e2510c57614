//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/chaos"
	"github.com/swarmlab/swarmlab/internal/checks"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/visualizer/browsertest"
)

func testStats(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, url(ports.Stats, "/"), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("stats without credentials: %d, want 401", resp.StatusCode)
	}
	req.SetBasicAuth("stats", "stats")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stats with stats:stats: %d, want 200", resp.StatusCode)
	}
}

// testVirtualHost adds a service that opts in with VIRTUAL_HOST, as a
// dockercloud/haproxy-era stack would, and expects the ingress to route
// by Host header within 3 s of the service converging.
func testVirtualHost(ctx context.Context, t *testing.T) {
	out, err := swarmlab("docker", "service", "create", "--detach=false", "--quiet", "--name", "whoami", "--network", lab.OverlayNetwork,
		"--endpoint-mode", "dnsrr", "--env", "SERVICE_PORTS=8080", "--env", "VIRTUAL_HOST=whoami.local",
		"--env", "SWARM_SERVICE={{.Service.Name}}", "registry:5000/swtest/api:latest")
	if err != nil {
		t.Fatalf("service create: %v\n%s", err, out)
	}
	t.Cleanup(func() { swarmlab("docker", "service", "rm", "whoami") })
	converged := time.Now()
	deadline := converged.Add(3 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, url(ports.Ingress, "/api/info"), nil)
		req.Host = "whoami.local"
		resp, err := http.DefaultClient.Do(req)
		var info struct{ Service string }
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&info)
			resp.Body.Close()
			if resp.StatusCode == 200 && info.Service == "whoami" {
				t.Logf("routed by Host header %s after convergence", time.Since(converged).Round(10*time.Millisecond))
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Host: whoami.local not routed to whoami within 3s (last: %v, service %q)", err, info.Service)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The default route still serves the tutorial's app.
	code, body := get(t, url(ports.Ingress, "/"))
	if code != 200 || !strings.Contains(body, "The API service is running...") {
		t.Fatalf("default route after adding whoami: %d %q", code, body)
	}
}

type verifyResult struct {
	OK     bool          `json:"ok"`
	Checks []checks.Goal `json:"checks"`
}

func verify(t *testing.T) verifyResult {
	t.Helper()
	out, _ := swarmlab("verify", "--json")
	var v verifyResult
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &v); err != nil {
		t.Fatalf("verify --json: %v\n%s", err, out)
	}
	return v
}

func failed(v verifyResult) []string {
	var out []string
	for _, c := range v.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

func testVerifyHealthy(t *testing.T) {
	v := verify(t)
	if !v.OK || len(v.Checks) != 7 {
		t.Fatalf("verify on a healthy lab: failed %v\n%+v", failed(v), v.Checks)
	}
	out, err := swarmlab("verify")
	if err != nil {
		t.Fatalf("verify exit: %v\n%s", err, out)
	}
	contains(t, out, "All 7 checks passed.")
}

// testVerifyWithoutIngress removes the ingress service, expects verify to
// name the broken check, then redeploys the tutorial's ingress.yml by hand,
// as a learner would, through 'swarmlab docker stack deploy'.
func testVerifyWithoutIngress(ctx context.Context, t *testing.T) {
	if out, err := swarmlab("docker", "service", "rm", "ingress_haproxy"); err != nil {
		t.Fatalf("service rm: %v\n%s", err, out)
	}
	// The task's container takes a moment to stop and free the port.
	v := verify(t)
	for deadline := time.Now().Add(30 * time.Second); v.OK && time.Now().Before(deadline); v = verify(t) {
		time.Sleep(time.Second)
	}
	got := strings.Join(failed(v), ",")
	if v.OK || !strings.Contains(got, "Ingress serves the API") {
		t.Fatalf("verify without the ingress: ok=%v failed=%s", v.OK, got)
	}
	out, err := swarmlab("docker", "stack", "deploy", "-c", "/stack/ingress.yml", "ingress")
	if err != nil {
		t.Fatalf("stack deploy by hand: %v\n%s", err, out)
	}
	mgr := manager(ctx, t)
	if err := lab.WaitStack(ctx, mgr, "ingress", lab.StackPatience, func(string) {}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for v = verify(t); !v.OK && time.Now().Before(deadline); v = verify(t) {
		time.Sleep(time.Second)
	}
	if !v.OK {
		t.Fatalf("verify after redeploying the ingress by hand: failed %v", failed(v))
	}
}

// testFailover stops worker01 with 'swarmlab chaos' while a browser watches
// the visualizer: the node must show Down and its tasks reappear elsewhere
// without a reload, and no request through the ingress may fail.
func testFailover(ctx context.Context, t *testing.T) {
	bctx, cancel := browsertest.NewContext(t)
	defer cancel()
	dir := artifacts()
	waitFor := func(what, cond string, timeout time.Duration) {
		t.Helper()
		if _, err := chromedp.Run(bctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
			text, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
			screenshot(t, bctx, filepath.Join(dir, "visualizer-failure.png"))
			t.Fatalf("%s: %v\npage text:\n%s", what, err, text)
		}
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(url(ports.Visualizer, "/"))); err != nil {
		t.Fatal(err)
	}
	waitFor("4 node columns", `document.querySelectorAll('section.node[data-node]').length === 4`, 20*time.Second)
	waitFor("6 running swtest tasks on workers", `[...document.querySelectorAll('article.task[data-service^="swtest_"][data-state="running"][data-desired-state="running"]')].filter(c => c.dataset.node.startsWith('worker')).length === 6`, 20*time.Second)
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[int](`window.noReload = 1`)); err != nil {
		t.Fatal(err)
	}
	// Record when each running card first appears, to measure the delay from
	// the swarm's state change to the page (a benchmark figure, not asserted).
	const observe = `window.seenAt = {};
		const mark = () => document.querySelectorAll('article.task[data-state="running"]').forEach(c => { window.seenAt[c.dataset.task] ??= Date.now(); });
		mark(); new MutationObserver(mark).observe(document.body, {subtree: true, childList: true, attributes: true}); 1`
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[int](observe)); err != nil {
		t.Fatal(err)
	}
	chaosStart := time.Now()
	onWorker01, _ := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('article.task[data-service^="swtest_"][data-state="running"][data-node="worker01"]').length`))
	if onWorker01 == 0 {
		t.Fatal("worker01 runs no swtest task; nothing would move")
	}

	out, err := swarmlab("chaos", "worker01", "--json")
	if err != nil {
		t.Fatalf("chaos: %v\n%s", err, out)
	}
	var f chaos.Failover
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &f); err != nil {
		t.Fatalf("chaos --json: %v\n%s", err, out)
	}
	save("failover.json", out)
	t.Logf("failover: %s", f)
	if f.Failed != 0 || f.Requests < 50 {
		t.Errorf("through the ingress: %d of %d requests failed", f.Failed, f.Requests)
	}
	if f.NodeDown <= 0 || f.Restored < f.NodeDown || f.Rescheduled < onWorker01 {
		t.Errorf("timeline out of order or incomplete: %+v", f)
	}
	var down, restored time.Duration
	for _, e := range f.Events {
		if strings.Contains(e.What, "Down") {
			down = e.At
		}
		if strings.Contains(e.What, "back at its desired") {
			restored = e.At
		}
		if strings.Contains(e.What, "running on") && (e.At < down || strings.Contains(e.What, "worker01")) {
			t.Errorf("rescheduled before the node was Down, or onto it: %+v", e)
		}
	}
	if down == 0 || restored < down {
		t.Errorf("events: %+v", f.Events)
	}

	waitFor("worker01 marked Down", `document.querySelector('section.node[data-node="worker01"]')?.dataset.status === 'down'`, 10*time.Second)
	waitFor("6 running swtest tasks on the other workers", `[...document.querySelectorAll('article.task[data-service^="swtest_"][data-state="running"][data-desired-state="running"]')].filter(c => c.dataset.node !== 'worker01').length === 6`, 10*time.Second)
	if n, _ := chromedp.Run(bctx, chromedp.Evaluate[int](`window.noReload || 0`)); n != 1 {
		t.Fatal("the page reloaded")
	}
	screenshot(t, bctx, filepath.Join(dir, "visualizer.png"))
	recordPageDelay(ctx, t, bctx, chaosStart)

	// With a worker stopped, verify names the broken check.
	v := verify(t)
	if v.OK || !strings.Contains(strings.Join(failed(v), ","), "Nodes Ready") {
		t.Errorf("verify with worker01 stopped: ok=%v failed=%v", v.OK, failed(v))
	}

	out, err = swarmlab("node", "start", "worker01", "--rebalance")
	if err != nil {
		t.Fatalf("node start: %v\n%s", err, out)
	}
	waitFor("worker01 Ready again", `document.querySelector('section.node[data-node="worker01"]')?.dataset.status === 'ready'`, 30*time.Second)
	waitFor("tasks on worker01 again after --rebalance", `document.querySelectorAll('article.task[data-service^="swtest_"][data-state="running"][data-node="worker01"]').length > 0`, 60*time.Second)
}

func screenshot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
	}
	t.Logf("screenshot: %s (%s)", path, fmt.Sprint(len(png)/1024)+" KiB")
}

// recordPageDelay compares, for each task started after since, the swarm's
// timestamp of its running state with the moment its card showed running in
// the browser, and saves the delays as an artifact for docs/benchmarks.md.
func recordPageDelay(ctx context.Context, t *testing.T, bctx context.Context, since time.Time) {
	t.Helper()
	seen, err := chromedp.Run(bctx, chromedp.Evaluate[map[string]float64](`window.seenAt`))
	if err != nil {
		t.Errorf("read seenAt: %v", err)
		return
	}
	tasks, err := manager(ctx, t).TaskList(ctx, swarm.TaskListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var delays []string
	for _, task := range tasks {
		if task.Status.State != swarm.TaskStateRunning || task.CreatedAt.Before(since) {
			continue
		}
		at, ok := seen[task.ID]
		if !ok {
			continue
		}
		d := time.UnixMilli(int64(at)).Sub(task.Status.Timestamp)
		delays = append(delays, fmt.Sprintf("%.2f", d.Seconds()))
	}
	t.Logf("page delay after the swarm recorded a task running (s): %v", delays)
	save("visualizer-delay.txt", strings.Join(delays, "\n")+"\n")
}

// testTutorialWebapi deploys the tutorial's own webapi.yml, unchanged, as a
// learner would from the host, and expects the app to keep answering from
// every replica: on a kernel without IPVS the proxy's tasks.<service>
// resolution carries it. Our stack file is deployed again afterwards.
func testTutorialWebapi(ctx context.Context, t *testing.T) {
	data, err := os.ReadFile("testdata/tutorial-webapi.yml")
	if err != nil {
		t.Fatal(err)
	}
	// The repository's stack/ folder is mounted at /stack in the manager.
	path := filepath.Join(repo, "stack", ".tutorial-webapi.yml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.Remove(path)
		swarmlab("docker", "stack", "deploy", "-c", "/stack/webapi.yml", "swtest")
		if mgr, _, err := testLab.Manager(ctx); err == nil {
			lab.WaitStack(ctx, mgr, "swtest", lab.StackPatience, func(string) {})
			mgr.Close()
		}
		time.Sleep(3 * time.Second) // the proxies re-resolve tasks.swtest_api every 2s
	})
	if out, err := swarmlab("docker", "stack", "deploy", "-c", "/stack/.tutorial-webapi.yml", "swtest"); err != nil {
		t.Fatalf("deploy the tutorial's webapi.yml: %v\n%s", err, out)
	}
	mgr := manager(ctx, t)
	if err := lab.WaitStack(ctx, mgr, "swtest", lab.StackPatience, func(string) {}); err != nil {
		t.Fatal(err)
	}
	// Rolling updates replace the tasks one by one; give the proxies'
	// re-resolution a moment once all have been replaced.
	deadline := time.Now().Add(30 * time.Second)
	for {
		res := inOverlay(ctx, t, "http://swtest_nginx/api/info", "--count", "60")
		if res.Failures == 0 && len(res.Hostnames) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with the tutorial's webapi.yml: %s %v", res, res.Errors)
		}
		time.Sleep(2 * time.Second)
	}
	code, body := get(t, url(ports.Ingress, "/"))
	if code != 200 || !strings.Contains(body, "The API service is running...") {
		t.Fatalf("through the ingress with the tutorial's webapi.yml: %d %q", code, body)
	}
}
