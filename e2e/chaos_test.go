//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/chaos"
	"github.com/swarmlab/swarmlab/internal/probe"
)

// runChaos runs 'swarmlab chaos ARGS --json' on the shared lab, saves its
// report as an artifact and expects no request through the ingress to
// have failed (1 s client timeout).
func runChaos(t *testing.T, artifact string, args ...string) chaos.Failover {
	t.Helper()
	start := time.Now()
	out, err := swarmlab(append([]string{"chaos", "--json"}, args...)...)
	save(artifact, out)
	var f chaos.Failover
	if i := strings.Index(out, "{"); i < 0 || json.Unmarshal([]byte(out[i:]), &f) != nil {
		t.Fatalf("chaos %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if err != nil {
		t.Fatalf("chaos %s: %v (%s)", strings.Join(args, " "), err, f)
	}
	l := f.Loop
	t.Logf("%s (took %s)", f, time.Since(start).Round(time.Second))
	for _, p := range []struct {
		name string
		chaos.Phase
	}{{"before", l.Before}, {"during", l.During}, {"after", l.After}} {
		t.Logf("  %-6s %4d requests, %d failed, p50 %s p99 %s max %s", p.name, p.Requests, p.Failed, probe.Short(p.P50), probe.Short(p.P99), probe.Short(p.Max))
	}
	if f.Failed != 0 || l.During.Requests < 50 {
		t.Errorf("through the ingress: %d of %d requests failed (%d during the event): %v", f.Failed, f.Requests, l.During.Requests, f.Errors)
	}
	if f.Restored <= 0 {
		t.Errorf("the swarm did not converge: %+v", f)
	}
	return f
}

// testChaosUpdate forces a rolling update of the api with its stack's
// update order (stop-first): every task is replaced, none fails a request.
func testChaosUpdate(t *testing.T) {
	f := runChaos(t, "chaos-update.json", "--update", "api")
	if f.Service != "swtest_api" || f.Update == nil || f.Update.Order != chaos.OrderStopFirst || f.Rescheduled != 3 {
		t.Errorf("update: service %q, policy %+v, %d tasks replaced; want swtest_api, stop-first, 3", f.Service, f.Update, f.Rescheduled)
	}
}

// testChaosKill cuts worker02's network and kills it, as in a power loss,
// then starts it again (empty: swarm moves nothing back by itself).
func testChaosKill(t *testing.T) {
	f := runChaos(t, "chaos-kill.json", "worker02", "--kill")
	if f.Scenario != chaos.ScenarioKill || f.NodeDown <= 0 || f.Rescheduled == 0 {
		t.Errorf("kill: %+v", f)
	}
	if out, err := swarmlab("node", "start", "worker02"); err != nil {
		t.Fatalf("node start worker02: %v\n%s", err, out)
	}
}

// testChaosDrain drains worker03, which took worker02's tasks, then makes
// it active again.
func testChaosDrain(t *testing.T) {
	f := runChaos(t, "chaos-drain.json", "--drain", "worker03")
	if f.Scenario != chaos.ScenarioDrain || f.Rescheduled == 0 {
		t.Errorf("drain: %+v", f)
	}
	if out, err := swarmlab("docker", "node", "update", "--availability", "active", "worker03"); err != nil {
		t.Fatalf("make worker03 active again: %v\n%s", err, out)
	}
}
