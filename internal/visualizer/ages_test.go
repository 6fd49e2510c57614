package visualizer

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/swarmlab/swarmlab/internal/visualizer/browsertest"
)

// The page counts ages from the state's time. A state that has not changed
// for a while must still carry the time it is sent, or a page opened then
// shows every task that much younger (tasks running for 3 minutes showed
// "6s").
func TestStateTimeIsWhenSent(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, Config{Source: NewMemorySource(demoState()), Resync: 50 * time.Millisecond, Heartbeat: time.Hour})
	get(t, ts.URL+"/api/state") // the first read of the swarm
	time.Sleep(1200 * time.Millisecond)

	var st State
	_, _, body := get(t, ts.URL+"/api/state")
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if lag := time.Since(st.Time); lag > 500*time.Millisecond || lag < 0 {
		t.Errorf("/api/state time is %s old, want the time it was sent", lag)
	}
	// A page that connects now gets the unchanged state first, no ping.
	r := openEvents(t, ts.URL+"/api/events")
	st = nextState(t, r, func(State) bool { return true })
	if lag := time.Since(st.Time); lag > 500*time.Millisecond || lag < 0 {
		t.Errorf("first state event's time is %s old, want the time it was sent", lag)
	}
}

// TestBrowserAgesFromNow opens the page a few seconds after the swarm last
// changed and expects each card's age to count from the current time at
// once, not from the time of the change.
func TestBrowserAgesFromNow(t *testing.T) {
	now := time.Now()
	_, ts := startServer(t, Config{Source: NewMemorySource(NewDemo(now).State(now)), Resync: 100 * time.Millisecond, Heartbeat: time.Hour})
	bctx, cancel := browsertest.NewContext(t)
	defer cancel()
	get(t, ts.URL+"/api/state") // the state is read now, then stays unchanged
	time.Sleep(3 * time.Second)
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.URL+"/")); err != nil {
		t.Fatal(err)
	}
	// Each age must be within a second of the browser's own count from the
	// task's since (ages over an hour show minutes only: skipped).
	const worst = `(() => {
		const secs = (s) => [...s.matchAll(/(\d+)([dhms])/g)].reduce((t, [, n, u]) => t + n * {d: 86400, h: 3600, m: 60, s: 1}[u], 0);
		return Math.max(...[...document.querySelectorAll('.age[data-since]')]
			.map(el => [secs(el.textContent), Math.floor((Date.now() - Date.parse(el.dataset.since)) / 1000)])
			.filter(([, want]) => want < 3600).map(([got, want]) => Math.abs(got - want)));
	})()`
	if _, err := chromedp.Run(bctx, chromedp.Poll[chromedp.Void](`document.querySelectorAll('.age[data-since]').length === 20`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatal(err)
	}
	off, err := chromedp.Run(bctx, chromedp.Evaluate[int](worst))
	if err != nil {
		t.Fatal(err)
	}
	if off > 1 {
		t.Errorf("ages are up to %ds off the current time right after opening the page, 3s after the last change", off)
	}
}
