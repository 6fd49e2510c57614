package visualizer

import (
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/swarmlab/swarmlab/internal/visualizer/browsertest"
	"github.com/swarmlab/swarmlab/internal/visualizer/panel"
)

// tutorialAt is a published progress with the first n of the steps done.
func tutorialAt(n int, hint string) *panel.Tutorial {
	ids := []string{"init", "join-worker01", "node-ls", "tag", "push"}
	t := &panel.Tutorial{At: time.Now(), Lang: "en"}
	for i, id := range ids {
		s := panel.Step{ID: id, Title: "Title of " + id, Status: "todo"}
		switch {
		case id == "node-ls":
			s.Status = "shown"
		case i < n:
			s.Status = "done"
		case t.Current == "":
			s.Status, s.Where, s.Commands, s.Hint = "current", "manager", []string{"docker " + id}, hint
			t.Current = id
		}
		t.Steps = append(t.Steps, s)
	}
	return t
}

// TestBrowserTutorialPanel checks the tutorial's panel against a fake
// source: absent without a published progress, then shown, following each
// tick and hint live, and gone again when the progress is.
func TestBrowserTutorialPanel(t *testing.T) {
	now := time.Now()
	d := NewDemo(now)
	st := d.State(now)
	src := NewMemorySource(st)
	s, err := New(Config{Source: src, Resync: 100 * time.Millisecond, Heartbeat: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	go s.Run(t.Context())
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	bctx, cancel := browsertest.NewContext(t)
	defer cancel()
	waitFor := func(what, cond string) {
		t.Helper()
		if _, err := chromedp.Run(bctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			text, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("%s: %v\npage text:\n%s", what, err, text)
		}
	}
	set := func(tut *panel.Tutorial) {
		st.Tutorial = tut
		src.Set(st)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.URL+"/")); err != nil {
		t.Fatal(err)
	}
	waitFor("the nodes", `document.querySelectorAll('section.node[data-node]').length === 4`)
	waitFor("no panel without a tutorial", `document.getElementById('tutorial').hidden`)

	set(tutorialAt(1, ""))
	waitFor("the panel", `!document.getElementById('tutorial').hidden &&
		document.querySelectorAll('#tutorial li[data-step]').length === 5 &&
		document.querySelector('#tutorial li[data-step="init"]').dataset.status === 'done' &&
		document.querySelector('#tutorial li[data-step="join-worker01"]').dataset.status === 'current' &&
		document.querySelector('#tutorial pre').textContent === 'docker join-worker01' &&
		document.querySelector('[data-tutorial-count]').dataset.tutorialCount === '1/4'`)
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[int](`window.noReload = 1`)); err != nil {
		t.Fatal(err)
	}

	// The next step is ticked live, and a hint shows as ✗ with its text.
	set(tutorialAt(2, "join-worker01 is a manager"))
	waitFor("the tick moves and the hint shows", `document.querySelector('#tutorial li[data-step="join-worker01"]').dataset.status === 'done' &&
		document.querySelector('#tutorial li[data-step="tag"]').dataset.status === 'current' &&
		document.querySelector('#tutorial li[data-step="tag"] .mk').textContent === '✗' &&
		document.querySelector('#tutorial .hint').textContent.includes('is a manager')`)
	if n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`window.noReload || 0`)); err != nil || n != 1 {
		t.Fatalf("the page reloaded to show the change (%v)", err)
	}
	shot(t, bctx, filepath.Join(browsertest.ArtifactDir(t), "visualizer-tutorial.png"))

	// Closing the panel is remembered across a reload.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.getElementById('tutorial-head').click(), true`)); err != nil {
		t.Fatal(err)
	}
	waitFor("closed", `!document.getElementById('tutorial').open`)
	if err := chromedp.Do(bctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitFor("still closed after a reload", `!document.getElementById('tutorial').hidden && !document.getElementById('tutorial').open`)

	// Japanese titles get Japanese words around them.
	ja := tutorialAt(5, "")
	ja.Lang = "ja"
	set(ja)
	waitFor("finished, in Japanese", `document.querySelector('[data-tutorial-count]').textContent === '4/4 ステップ完了'`)

	set(nil)
	waitFor("no panel once the progress is gone", `document.getElementById('tutorial').hidden`)
}
