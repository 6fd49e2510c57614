package visualizer

import (
	"testing"
	"time"
)

func TestDisplayImage(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"nginx":                                  "nginx",
		"nginx:1.27":                             "nginx:1.27",
		"nginx:1.27@sha256:0123abcd":             "nginx:1.27",
		"docker.io/library/nginx:1.27":           "nginx:1.27",
		"127.0.0.1:5000/lab/web:1.2@sha256:ab12": "lab/web:1.2",
		"registry:5000/swarmlab/visualizer:dev":  "swarmlab/visualizer:dev",
		"localhost/app:2":                        "app:2",
		"dockersamples/visualizer:stable":        "dockersamples/visualizer:stable",
		"ghcr.io/owner/img@sha256:ffff":          "owner/img",
		"":                                       "",
	} {
		if got := DisplayImage(in); got != want {
			t.Errorf("DisplayImage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestServiceHue(t *testing.T) {
	t.Parallel()
	if first, again := ServiceHue("web"), ServiceHue("web"); first != again {
		t.Fatal("hue of a name must be stable")
	}
	seen := map[int]bool{}
	for _, name := range []string{"web", "api", "redis", "visualizer", "agent", "db"} {
		h := ServiceHue(name)
		if h < 0 || h >= 360 {
			t.Errorf("ServiceHue(%q) = %d, want 0..359", name, h)
		}
		seen[h] = true
	}
	if len(seen) < 5 {
		t.Errorf("six service names gave only %d hues; colours would not tell services apart", len(seen))
	}
}

func TestPruneTasks(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ago := func(s int) time.Time { return now.Add(-time.Duration(s) * time.Second) }
	tasks := []Task{
		{ID: "run", Service: "web", Slot: 1, NodeID: "n1", State: "running", DesiredState: "running", Since: ago(3600)},
		{ID: "old-shutdown", Service: "web", Slot: 1, NodeID: "n1", State: "shutdown", DesiredState: "shutdown", Since: ago(61)},
		{ID: "failed-1", Service: "api", Slot: 1, State: "failed", DesiredState: "shutdown", Since: ago(1)},
		{ID: "failed-2", Service: "api", Slot: 1, State: "failed", DesiredState: "shutdown", Since: ago(2)},
		{ID: "failed-3", Service: "api", Slot: 1, State: "failed", DesiredState: "shutdown", Since: ago(3)},
		{ID: "failed-4", Service: "api", Slot: 1, State: "failed", DesiredState: "shutdown", Since: ago(4)},
		// Still "running" on a node that went down 10s ago: shown, fading.
		{ID: "stranded", Service: "db", Slot: 1, NodeID: "down10", State: "running", DesiredState: "shutdown", Since: ago(900)},
		// Same, but the node went down long ago: hidden.
		{ID: "stranded-old", Service: "db", Slot: 2, NodeID: "down100", State: "running", DesiredState: "shutdown", Since: ago(900)},
		// Being stopped on a ready node: still live.
		{ID: "stopping", Service: "db", Slot: 3, NodeID: "n1", State: "running", DesiredState: "shutdown", Since: ago(900)},
	}
	down := map[string]time.Time{"down10": ago(10), "down100": ago(100)}
	got := map[string]bool{}
	for _, tk := range pruneTasks(tasks, down, now) {
		got[tk.ID] = true
	}
	want := map[string]bool{"run": true, "failed-1": true, "failed-2": true, "failed-3": true, "stranded": true, "stopping": true}
	for id := range want {
		if !got[id] {
			t.Errorf("task %s was dropped, want it shown", id)
		}
	}
	for id := range got {
		if !want[id] {
			t.Errorf("task %s is shown, want it dropped", id)
		}
	}
}

func TestSortNodes(t *testing.T) {
	t.Parallel()
	nodes := []Node{
		{Hostname: "worker-2", Role: "worker"},
		{Hostname: "m2", Role: "manager"},
		{Hostname: "worker-1", Role: "worker"},
		{Hostname: "m9", Role: "manager", Leader: true},
	}
	sortNodes(nodes)
	var got []string
	for _, n := range nodes {
		got = append(got, n.Hostname)
	}
	want := []string{"m9", "m2", "worker-1", "worker-2"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order = %v, want %v", got, want)
		}
	}
}
