package class

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/swarmlab/swarmlab/internal/class/proto"
	"github.com/swarmlab/swarmlab/internal/visualizer/browsertest"
)

// TestBoardInBrowser opens the board in Chromium: a room of 30, a hostile
// name shown as text, a tick that moves a row, a hand answered, a
// broadcast, and one learner's page. With SWARMLAB_ARTIFACTS set, the
// screenshots land there (docs/images/class-board.png, class-learner.png
// come from this test).
func TestBoardInBrowser(t *testing.T) {
	ctx, cancel := browsertest.NewContext(t)
	defer cancel()
	s, ts := newTestServer(t, Options{StuckAfter: 2 * time.Second, HintStuckAfter: 3 * time.Second, JoinRate: 1000})
	steps := Steps()
	names := []string{"Aiko", "Ben", "Chen Wei", "Daisuke", "Emma", "Fatima", "Goro", "Hana", "Ivan", "Jun", "Kenta", "Lena", "Mai", "Nobu", "Olivia",
		"Priya", "Quentin", "Rin", "Sota", "Takumi", "Umi", "Vikram", "Wataru", "Xiao", "Yui", "Zoe", "佐藤 花子", "鈴木 一郎", "高橋 美咲"}
	hostile := `<img src=x onerror="document.title='pwned'">`
	names = append(names, hostile)
	tokens := map[string]string{}
	for i, n := range names {
		// Each from its own address: the per-address join limit is for a
		// room, not for one test.
		jr := join(t, ts, s.Code, n)
		tokens[n] = jr.Token
		pos := (i * 7) % (len(steps) - 1)
		tk := proto.Tick{Seq: 1, LabState: "running", Current: steps[pos].ID, Position: pos + 1, Total: len(steps),
			Summary: &proto.Summary{Nodes: 4, Ready: 4, Services: []string{"swtest_api 3/3", "swtest_nginx 3/3"}}}
		tk.Steps = stepStates(steps, pos)
		if i%6 == 2 {
			tk.Hint = "the image is not in the registry yet: push it first (docker push localhost:5000/swtest/api)"
		}
		if r := do(t, "POST", ts.URL+proto.PathTick, jr.Token, tk); r.code != 200 {
			t.Fatalf("tick: %d %s", r.code, r.body)
		}
		if i%9 == 4 {
			do(t, "POST", ts.URL+proto.PathHand, jr.Token, proto.Hand{Question: "my service stays at 0/3: <b>why?</b>"})
		}
	}
	do(t, "POST", ts.URL+proto.PathHand, tokens[hostile], proto.Hand{Question: `<script>document.title='pwned'</script>`})
	do(t, "POST", ts.URL+"/api/teacher/step", s.Secret, map[string]string{"step": "stack-deploy"})
	time.Sleep(2500 * time.Millisecond) // the untouched ones become stuck

	eval, poll := pageHelpers(ctx, t)
	act := func(a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	shots := os.Getenv("SWARMLAB_ARTIFACTS") != ""
	dir := browsertest.ArtifactDir(t)
	shot := func(name string) {
		if !shots {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), png, 0o644)
	}

	act(chromedp.Navigate(ts.URL + "/?token=" + s.Secret))
	poll("30 rows", `document.querySelectorAll("#rows tr").length === 30`)
	injected := eval(`String(document.querySelectorAll("#rows img, #hands img, #hands script, #rows script").length)`)
	hostileText := eval(`[...document.querySelectorAll("#rows td.name a")].map(a => a.textContent).find(t => t.startsWith("<img")) || ""`)
	handsText := eval(`document.getElementById("hands").textContent`)
	title := eval(`document.title`)
	if injected != "0" || hostileText != proto.Clean(hostile, proto.MaxName) || title == "pwned" || !strings.Contains(handsText, "<script>") {
		t.Fatalf("injected elements %s, hostile name %q, title %q, hands %q", injected, hostileText, title, handsText)
	}
	poll("a stuck mark after the threshold", `document.querySelectorAll("#rows td.stuck:not(:empty)").length > 0`)
	// A third of the room moves on: not stuck any more.
	for i, n := range names {
		if i%3 != 0 || n == hostile {
			continue
		}
		pos := (i*7)%(len(steps)-1) + 1
		tk := proto.Tick{Seq: 2, LabState: "running", Current: steps[pos].ID, Position: pos + 1, Total: len(steps)}
		tk.Steps = stepStates(steps, pos)
		do(t, "POST", ts.URL+proto.PathTick, tokens[n], tk)
	}
	poll("moved rows not stuck", `[...document.querySelectorAll("#rows tr")].some(r => r.querySelector("td.name a").textContent === "Daisuke" && r.querySelector("td.stuck").textContent === "")`)
	shot("class-board.png")

	// A tick reaches the open board: Aiko moves to the last step.
	last := steps[len(steps)-1]
	tk := proto.Tick{Seq: 3, LabState: "running", Current: last.ID, Position: len(steps), Total: len(steps),
		Steps: []proto.StepState{{ID: last.ID, Status: "current"}}}
	do(t, "POST", ts.URL+proto.PathTick, tokens["Aiko"], tk)
	want := fmt.Sprintf("%d. %s", last.N, last.En)
	poll("the tick on the board", fmt.Sprintf(`[...document.querySelectorAll("#rows tr")].some(r => r.querySelector("td.name a").textContent === "Aiko" && r.querySelector("td.current-step").textContent === %q)`, want))

	// Answer the first hand; broadcast.
	before := len(s.Board().Class.Hands)
	act(chromedp.Click(chromedp.CSS(`#hands li button`), chromedp.NodeVisible))
	poll("the hand answered", fmt.Sprintf(`document.querySelectorAll("#hands li").length === %d`, before-1))
	act(chromedp.SendKeys(chromedp.ID("broadcast"), "everyone stop at stack deploy"))
	act(chromedp.Click(chromedp.CSS(`#broadcast-form button`), chromedp.NodeVisible))
	poll("the broadcast", `document.getElementById("last-broadcast").textContent.includes("everyone stop")`)
	if b := s.Board().Class; len(b.Hands) != before-1 || b.Broadcast.Text != "everyone stop at stack deploy" {
		t.Fatalf("server after the clicks: %d hands (was %d), broadcast %q", len(b.Hands), before, b.Broadcast.Text)
	}

	// One learner's page.
	id := 0
	for _, l := range s.Learners() {
		if l.Name == "Chen Wei" {
			id = int(l.ID)
		}
	}
	act(chromedp.Navigate(fmt.Sprintf("%s/learner.html?id=%d", ts.URL, id)))
	poll("the timeline", `document.querySelectorAll("#ticks li").length > 0`)
	if name, facts := eval(`document.getElementById("name").textContent`), eval(`document.getElementById("lab").textContent`); name != "Chen Wei" || !strings.Contains(facts, "swtest_api 3/3") {
		t.Fatalf("learner page: %q, %q", name, facts)
	}
	shot("class-learner.png")
}

// With the board's titles in Japanese, one learner's page names the steps
// in Japanese too (its step, the strip, the hints, the timeline); back in
// English, in English.
func TestLearnerPageInJapanese(t *testing.T) {
	ctx, cancel := browsertest.NewContext(t)
	defer cancel()
	s, ts := newTestServer(t, Options{})
	steps := Steps()
	cur := steps[5]
	if cur.Ja == "" || cur.Ja == cur.En {
		t.Fatalf("step %s has no Japanese title of its own: %+v", cur.ID, cur)
	}
	jr := join(t, ts, s.Code, "Aiko")
	tk := proto.Tick{Seq: 1, LabState: "running", Current: cur.ID, Position: cur.N, Total: len(steps), Hint: "push it first"}
	tk.Steps = stepStates(steps, 5)
	if r := do(t, "POST", ts.URL+proto.PathTick, jr.Token, tk); r.code != 200 {
		t.Fatalf("tick: %d %s", r.code, r.body)
	}
	eval, poll := pageHelpers(ctx, t)
	act := func(a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	// The page's text for the learner's step, the strip's tooltip of the
	// step, the first hint and the first tick of the timeline.
	const shown = `[document.querySelector("#facts dd").textContent,
		document.querySelector("#strip span:nth-child(6)").getAttribute("title"),
		document.querySelector("#hints li").textContent,
		document.querySelector("#ticks li").textContent].join("\n")`
	for _, c := range []struct{ lang, want, not string }{
		{"ja", cur.Ja, cur.En},
		{"en", cur.En, cur.Ja},
	} {
		act(chromedp.Navigate(ts.URL + "/?token=" + s.Secret))
		poll("the board", `document.querySelectorAll("#rows tr").length === 1`)
		// The teacher picks the titles' language on the board.
		eval(fmt.Sprintf(`(() => { const s = document.getElementById("lang"); s.value = %q; s.dispatchEvent(new Event("change")); return ""; })()`, c.lang))
		want := fmt.Sprintf("%d. %s", cur.N, c.want)
		poll("the board's titles in "+c.lang, fmt.Sprintf(`document.querySelector("#rows td.current-step").textContent === %q`, want))
		// The row's link, as a click follows it.
		act(chromedp.Navigate(eval(`document.querySelector("#rows td.name a").href`)))
		poll("the learner's page", `document.querySelectorAll("#ticks li").length > 0 && document.querySelectorAll("#hints li").length > 0`)
		got := strings.Split(eval(shown), "\n")
		if len(got) != 4 || got[0] != want {
			t.Fatalf("%s: the learner's step is %q, want %q", c.lang, got, want)
		}
		for _, g := range got {
			if !strings.Contains(g, c.want) || strings.Contains(g, c.not) {
				t.Errorf("%s: %q does not name the step %q only", c.lang, g, c.want)
			}
		}
		if c.lang == "ja" && os.Getenv("SWARMLAB_ARTIFACTS") != "" {
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(browsertest.ArtifactDir(t), "class-learner-ja.png"), png, 0o644)
		}
	}
}

// stepStates is a learner's step list with pos current, those before it done.
func stepStates(steps []StepInfo, pos int) []proto.StepState {
	var out []proto.StepState
	for j, st := range steps {
		status := "todo"
		if j < pos {
			status = "done"
		} else if j == pos {
			status = "current"
		}
		out = append(out, proto.StepState{ID: st.ID, Status: status})
	}
	return out
}

// pageHelpers returns eval (a JavaScript expression's string value) and poll
// (wait up to 5 s for a condition, showing the page's text when it fails).
func pageHelpers(ctx context.Context, t *testing.T) (eval func(string) string, poll func(what, cond string)) {
	eval = func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	poll = func(what, cond string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			t.Fatalf("%s: %v (page: %s)", what, err, eval(`document.body.innerText.slice(0, 2000)`))
		}
	}
	return eval, poll
}
