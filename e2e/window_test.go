//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/swarmlab/swarmlab/internal/visualizer/browsertest"
)

// The window's lab: a name and ports of its own (SWARMLAB_WINDOW_KEEP=1
// keeps it after the test, to look at it).
var windowLab = []string{"--name", "win"}

const windowPorts = "--ingress-port 18000 --visualizer-port 19000 --stats-port 11936 --registry-port 15000"

func winlab(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(append([]string{}, windowLab...), args...)...)
	cmd.Dir = repo
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("swarmlab %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestWindow plays a learner in 'swarmlab open' on a hands-on lab: types
// 'docker swarm init' into the manager's terminal through the page, sees
// its output and the step tick, uses a click-to-type button, types
// Japanese, resizes the window, and restarts a worker whose terminal comes
// back by itself.
func TestWindow(t *testing.T) {
	// A fresh hands-on lab: the tutorial starts over on one that exists.
	if out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=io.swarmlab.lab=win").Output(); len(out) > 0 {
		winlab(t, 5*time.Minute, "tutorial", "reset")
	} else {
		winlab(t, 15*time.Minute, append([]string{"up", "--hands-on"}, strings.Fields(windowPorts)...)...)
	}
	if os.Getenv("SWARMLAB_WINDOW_KEEP") == "" {
		t.Cleanup(func() { exec.Command(bin, append(append([]string{}, windowLab...), "down", "--purge", "-q")...).Run() })
	}

	// swarmlab open, as a learner runs it, without a browser of its own.
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	open := exec.CommandContext(ctx, bin, append(append([]string{}, windowLab...), "open", "--no-browser", "--lang", "en")...)
	open.Dir = repo
	stdout, _ := open.StdoutPipe()
	open.Stderr = os.Stderr
	if err := open.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stop()
		open.Wait()
	}()
	link := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`http://127\.0\.0\.1:\d+/\?token=\S+`)
		for sc.Scan() {
			if m := re.FindString(sc.Text()); m != "" {
				link <- m
			}
		}
	}()
	var u string
	select {
	case u = <-link:
	case <-time.After(30 * time.Second):
		t.Fatal("swarmlab open printed no link")
	}

	bctx, cancel := browsertest.NewContext(t)
	defer cancel()
	shot := func(name string) {
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err == nil {
			os.WriteFile(filepath.Join(browsertest.ArtifactDir(t), name), png, 0o644)
		}
	}
	waitFor := func(what, cond string, timeout time.Duration) {
		t.Helper()
		if _, err := chromedp.Run(bctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
			text, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`[...window.swarmlab.terms.values()].map(t => '--- ' + t.name + ' (' + t.state + ')\n' + t.text().trim()).join('\n')`))
			shot("window-failed.png")
			t.Fatalf("%s: %v\n%s", what, err, text)
		}
	}
	text := func(node string) string {
		s, _ := chromedp.Run(bctx, chromedp.Evaluate[string](fmt.Sprintf(`window.swarmlab.terms.get(%q).text()`, node)))
		return s
	}
	// typeInto types keys on the page's keyboard into a node's terminal,
	// one key event each, as a keyboard sends them.
	typeInto := func(node, keys string) {
		t.Helper()
		sel := fmt.Sprintf(`.term[data-node=%q] textarea`, node)
		if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#tabs button[data-node=%q]`, node))), chromedp.Focus(chromedp.CSS(sel))); err != nil {
			t.Fatalf("focusing %s: %v", node, err)
		}
		for _, r := range keys {
			down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Text: string(r), Key: string(r)}
			if r == '\r' {
				down.Key, down.Code, down.WindowsVirtualKeyCode = "Enter", "Enter", 13
			}
			up := down
			up.Type, up.Text = input.DispatchKeyEventTypeKeyUp, ""
			for _, ev := range []input.DispatchKeyEventParams{down, up} {
				if _, err := chromedp.Call(bctx, input.DispatchKeyEvent, ev); err != nil {
					t.Fatalf("typing into %s: %v", node, err)
				}
			}
		}
	}
	connected := func(node string) string {
		return fmt.Sprintf(`document.querySelector('#tabs button[data-node=%q]')?.className === 'connected'`, node)
	}

	if err := chromedp.Do(bctx, chromedp.Navigate(u)); err != nil {
		t.Fatal(err)
	}
	// The secret went into a cookie and out of the address bar.
	if loc, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`location.href`)); strings.Contains(loc, "token") {
		t.Fatalf("the token stayed in the address bar: %s", loc)
	}
	for _, n := range []string{"manager", "worker01", "worker02", "worker03"} {
		waitFor("a tab for "+n, fmt.Sprintf(`!!document.querySelector('#tabs button[data-node=%q]')`, n), 20*time.Second)
	}
	waitFor("the manager's terminal", connected("manager"), 30*time.Second)
	waitFor("the first step current", `document.querySelector('.step.current')?.dataset.id === 'init'`, 60*time.Second)

	// docker swarm init, typed on the page's keyboard into the manager.
	typeInto("manager", "docker swarm init\r")
	waitFor("the output of docker swarm init", `window.swarmlab.terms.get('manager').text().includes('Swarm initialized')`, 60*time.Second)
	waitFor("the init step ticked", `document.querySelector('.step[data-id=init]').classList.contains('done')`, 30*time.Second)
	shot("window-init.png")

	// The click-to-type button of the next step puts the join command on
	// worker01's prompt; the learner presses Enter.
	waitFor("join-worker01 current", `document.querySelector('.step.current')?.dataset.id === 'join-worker01'`, 30*time.Second)
	waitFor("worker01's terminal", connected("worker01"), 30*time.Second)
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`.step.current button.type`))); err != nil {
		t.Fatal(err)
	}
	waitFor("the join command on worker01's prompt", `window.swarmlab.terms.get('worker01').text().includes('docker swarm join --token SWMTKN-')`, 10*time.Second)
	if strings.Contains(text("worker01"), "This node joined") {
		t.Fatal("the button ran the command: the learner presses Enter")
	}
	typeInto("worker01", "\r")
	waitFor("worker01 joined", `window.swarmlab.terms.get('worker01').text().includes('This node joined a swarm as a worker')`, 60*time.Second)
	waitFor("the join step ticked", `document.querySelector('.step[data-id="join-worker01"]').classList.contains('done')`, 30*time.Second)

	// Japanese, as an input method commits it, and back.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#tabs button[data-node="manager"]`)), chromedp.Focus(chromedp.CSS(`.term[data-node="manager"] textarea`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, input.InsertText, input.InsertTextParams{Text: "echo 日本語のテスト | wc -m"}); err != nil {
		t.Fatal(err)
	}
	typeInto("manager", "\r")
	// 7 characters and a newline: the node got characters, not mangled bytes.
	waitFor("Japanese echoed and counted", `(() => { const s = window.swarmlab.terms.get('manager').text(); return s.includes('echo 日本語のテスト | wc -m') && /\n8\s*\n/.test(s) })()`, 20*time.Second)

	// Resize: the terminal follows the window, and the node's TTY follows it.
	cols0, _ := chromedp.Run(bctx, chromedp.Evaluate[int](`window.swarmlab.terms.get('manager').term.cols`))
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1000, 700)); err != nil {
		t.Fatal(err)
	}
	waitFor("the terminal narrower", fmt.Sprintf(`window.swarmlab.terms.get('manager').term.cols < %d`, cols0), 10*time.Second)
	size, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`(() => { const t = window.swarmlab.terms.get('manager').term; return t.rows + ' ' + t.cols })()`))
	typeInto("manager", "stty size\r")
	waitFor("stty size as the page's size", fmt.Sprintf(`window.swarmlab.terms.get('manager').text().includes('\n%s')`, size), 20*time.Second)
	shot("window-resized.png")

	// A worker restarts: its terminal says so and comes back by itself.
	waitFor("worker02's terminal", connected("worker02"), 30*time.Second)
	// As the handout stops worker01, from the host (swarmlab node stop and
	// start would wait for a swarm the other workers have not joined yet).
	docker := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("docker", args...).CombinedOutput(); err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	docker("stop", "win-worker02")
	waitFor("worker02's terminal waiting", `document.querySelector('#tabs button[data-node="worker02"]').className !== 'connected'`, 60*time.Second)
	docker("start", "win-worker02")
	waitFor("worker02's terminal back", connected("worker02"), 90*time.Second)
	waitFor("the new shell announced", `window.swarmlab.terms.get('worker02').text().includes('[a new shell in worker02]')`, 10*time.Second)
	typeInto("worker02", "hostname; echo back-$((40+2))\r")
	waitFor("a working shell after the restart", `window.swarmlab.terms.get('worker02').text().includes('back-42')`, 30*time.Second)
	shot("window.png")
}
