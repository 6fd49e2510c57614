package visualizer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/swarmlab/swarmlab/internal/visualizer/browsertest"
)

// TestBrowserPage loads the page in headless Chromium against a fake swarm,
// then changes the swarm (a worker goes down, its tasks move) and checks
// that the page follows without a reload. It runs under a base path, so that
// every URL the page uses is checked against CTX_ROOT too. Screenshots go to
// $SWARMLAB_ARTIFACTS.
func TestBrowserPage(t *testing.T) {
	now := time.Now()
	d := NewDemo(now)
	src := NewMemorySource(d.State(now))
	s, err := New(Config{Source: src, BasePath: "/viz", Resync: 100 * time.Millisecond, Heartbeat: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	go s.Run(ctx)
	var offline atomic.Bool // simulates the visualizer going away
	h := s.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if offline.Load() {
			http.Error(w, "gone", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer ts.Close()

	bctx, cancel := browsertest.NewContext(t)
	defer cancel()
	dir := browsertest.ArtifactDir(t)

	// waitFor polls a JavaScript condition, and on timeout reports what the
	// page shows, so a failure can be understood from the log alone.
	waitFor := func(what, cond string) {
		t.Helper()
		if _, err := chromedp.Run(bctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			text, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
			shot(t, bctx, filepath.Join(dir, "visualizer-failure.png"))
			t.Fatalf("%s: %v\npage text:\n%s", what, err, text)
		}
	}
	eval := func(expr string) int {
		t.Helper()
		n, err := chromedp.Run(bctx, chromedp.Evaluate[int](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return n
	}

	if err := chromedp.Do(bctx, chromedp.Navigate(ts.URL+"/viz/")); err != nil {
		t.Fatal(err)
	}
	waitFor("4 node columns and 20 task cards",
		`document.querySelectorAll('section.node[data-node]').length === 4 && document.querySelectorAll('article.task').length === 20`)
	waitFor("live connection", `document.getElementById('live').dataset.state === 'open' && document.getElementById('conn').hidden`)
	if n := eval(`document.querySelectorAll('section.node[data-status="ready"]').length`); n != 4 {
		t.Errorf("%d ready nodes, want 4", n)
	}
	if n := eval(`document.querySelectorAll('section.node[data-node="manager"][data-leader] .badge.leader').length`); n != 1 {
		t.Errorf("leader mark on manager: %d, want 1", n)
	}
	if n := eval(`document.querySelectorAll('[data-summary-service]').length`); n != 5 {
		t.Errorf("%d services in the summary, want 5", n)
	}
	if n := eval(`document.querySelectorAll('[data-network]').length`); n != 2 {
		t.Errorf("%d networks in the summary, want 2", n)
	}
	// Same colour on every card of a service.
	if n := eval(`new Set([...document.querySelectorAll('article.task[data-service="web"]')].map(e => getComputedStyle(e).borderLeftColor)).size`); n != 1 {
		t.Errorf("web cards have %d border colours, want 1", n)
	}
	if n := eval(`[...document.querySelectorAll('article.task[data-service="web"] .img')].filter(e => e.textContent === 'lab/web:1.27').length`); n != 9 {
		t.Errorf("%d web cards show image lab/web:1.27, want 9", n)
	}
	shot(t, bctx, filepath.Join(dir, "visualizer-before.png"))

	// A worker goes down: its column stays, marked, and its tasks come back
	// on the other nodes, all without a reload.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[int](`window.noReload = 1`)); err != nil {
		t.Fatal(err)
	}
	onWorker2 := eval(`document.querySelectorAll('article.task[data-node="worker-2"]').length`)
	if err := d.SetNode("worker-2", "down", "", now); err != nil {
		t.Fatal(err)
	}
	src.Set(d.State(now))
	waitFor("worker-2 shown down", `document.querySelector('section.node[data-node="worker-2"]').dataset.status === 'down'`)
	// 19, not 20: the global agent has no other node to go to.
	waitFor("worker-2's tasks replaced on other nodes",
		`document.querySelectorAll('article.task[data-desired-state="running"]').length === 19 &&
		 document.querySelectorAll('article.task[data-node="worker-2"][data-desired-state="running"]').length === 0`)
	if n := eval(`document.querySelectorAll('section.node[data-node="worker-2"] .badge.down').length`); n != 1 {
		t.Errorf("worker-2 has %d DOWN badges, want 1", n)
	}
	if n := eval(`document.querySelectorAll('article.task[data-node="worker-2"]').length`); n != onWorker2 {
		t.Errorf("worker-2 shows %d cards right after going down, want its %d old ones, fading", n, onWorker2)
	}
	later := now.Add(4 * time.Second)
	d.Step(now.Add(2 * time.Second))
	d.Step(later)
	src.Set(d.State(later))
	waitFor("replacements running", `document.querySelectorAll('article.task[data-state="running"][data-desired-state="running"]').length === 19`)
	if n := eval(`window.noReload`); n != 1 {
		t.Fatal("the page reloaded to show the change")
	}
	shot(t, bctx, filepath.Join(dir, "visualizer.png"))

	// A failed task shows its error.
	d.Fail("api", 1, "task: non-zero exit (137)", later)
	src.Set(d.State(later))
	waitFor("failed task with its error", `[...document.querySelectorAll('article.task[data-service="api"][data-state="failed"] .err')].some(e => e.textContent.includes('exit (137)'))`)

	// The filter hides other cards and is kept in the URL.
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.ID("filter"), "redis")); err != nil {
		t.Fatal(err)
	}
	waitFor("filter applied", `document.querySelectorAll('article.task:not(.hidden)').length === 1 && location.search === '?filter=redis'`)
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.URL+"/viz/?filter=worker-1")); err != nil {
		t.Fatal(err)
	}
	waitFor("filter from the URL", `document.getElementById('filter').value === 'worker-1' &&
		document.querySelectorAll('article.task:not(.hidden)').length > 0 &&
		[...document.querySelectorAll('article.task:not(.hidden)')].every(e => e.dataset.node === 'worker-1')`)
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.URL+"/viz/")); err != nil {
		t.Fatal(err)
	}

	// Docker goes away: the page says so and keeps the last known swarm.
	src.SetError(errDockerGone)
	waitFor("Docker error shown", `!document.getElementById('docker').hidden && document.getElementById('docker').textContent.includes('connection refused') &&
		document.querySelectorAll('section.node[data-node]').length === 4`)
	shot(t, bctx, filepath.Join(dir, "visualizer-docker-down.png"))
	src.SetError(nil)
	waitFor("Docker error cleared", `document.getElementById('docker').hidden`)

	// The visualizer itself goes away: a banner, then recovery.
	offline.Store(true)
	ts.CloseClientConnections()
	waitFor("connection-lost banner", `document.getElementById('conn').dataset.state === 'lost' && !document.getElementById('conn').hidden`)
	offline.Store(false)
	waitFor("reconnected", `document.getElementById('conn').dataset.state === 'open' && document.getElementById('live').dataset.state === 'open'`)

	// Phone width: one column, nothing wider than the screen.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	waitFor("phone layout without horizontal scroll", `document.documentElement.scrollWidth <= 390`)
	shot(t, bctx, filepath.Join(dir, "visualizer-phone.png"))
	t.Logf("screenshots in %s", dir)
}

//lint:ignore ST1005 the message DockerSource gives, which the page shows
var errDockerGone = errors.New("Docker is unreachable: dial unix /var/run/docker.sock: connection refused")

// shot saves a full-page PNG screenshot.
func shot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", path, err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
	}
}
