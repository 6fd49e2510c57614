//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/tutorial"
)

// The tutorial's tests use the default lab, as a learner does: the handout
// types 'docker exec -it manager sh', 'localhost:5000/...' and
// 'docker stop worker01', so the names and ports must be the handout's.
// On an engine where the default lab is someone's own, SWARMLAB_TUTORIAL_LAB
// names another lab, with ports of its own: the commands are then the
// handout's with that lab's container names, registry port and --name, as
// 'swarmlab tutorial' prints them for it.
var tutorialLab = func() lab.Config {
	cfg := lab.Defaults()
	if name := os.Getenv("SWARMLAB_TUTORIAL_LAB"); name != "" {
		cfg.Name, cfg.Ports = name, lab.Ports{Ingress: 28500, Visualizer: 29500, Stats: 21950, Registry: 25500}
	}
	return cfg
}()

// labArgs are the flags that point swarmlab at the tutorial's lab.
func labArgs(t *testing.T) []string {
	if tutorialLab.Name == lab.DefaultName {
		return nil
	}
	p := tutorialLab.Ports
	conf := filepath.Join(t.TempDir(), "lab.yaml")
	data := fmt.Sprintf("name: %s\nports:\n  ingress: %d\n  visualizer: %d\n  stats: %d\n  registry: %d\n", tutorialLab.Name, p.Ingress, p.Visualizer, p.Stats, p.Registry)
	if err := os.WriteFile(conf, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"--config", conf}
}

var stopRE = regexp.MustCompile(`docker (stop|start) (manager|worker\d+)`)

// adapt is a host command or a hint of the handout for the tutorial's lab.
func adapt(text string) string {
	if tutorialLab.Name == lab.DefaultName {
		return text
	}
	text = strings.ReplaceAll(text, "localhost:5000/", fmt.Sprintf("localhost:%d/", tutorialLab.Ports.Registry))
	text = stopRE.ReplaceAllStringFunc(text, func(m string) string {
		f := strings.Fields(m)
		return "docker " + f[1] + " " + tutorialLab.ContainerName(f[2])
	})
	if rest, ok := strings.CutPrefix(text, "swarmlab "); ok {
		text = "swarmlab --name " + tutorialLab.Name + " " + rest
	}
	return text
}

// typing is one command as the learner types it: in a node's shell
// ('docker exec -it NODE sh'), or on the host. A look changes nothing.
type typing struct {
	where, cmd string
	look       bool
}

func do(where, cmd string) typing   { return typing{where: where, cmd: cmd} }
func look(where, cmd string) typing { return typing{where: where, cmd: cmd, look: true} }

// handout is what the learner types for each step, written from the handout
// (with swarmlab's names for the visualizer and ingress images, and swarmlab
// for docker-compose), not from the tutorial's own texts, which the tests
// check against it. The join command comes from the manager (joinCommand).
var handout = map[string][]typing{
	"init":    {do("manager", "docker swarm init")},
	"node-ls": {do("manager", "docker node ls")},
	"tag": {
		do("host", "docker image tag swtest/api:latest localhost:5000/swtest/api:latest"),
		do("host", "docker image tag swtest/nginx:latest localhost:5000/swtest/nginx:latest"),
		do("host", "docker image tag swarmlab/visualizer:latest localhost:5000/visualizer:latest"),
		do("host", "docker image tag swarmlab/ingress:latest localhost:5000/haproxy:latest"),
	},
	"push": {
		do("host", "docker image push localhost:5000/swtest/api:latest"),
		do("host", "docker image push localhost:5000/swtest/nginx:latest"),
		do("host", "docker image push localhost:5000/visualizer:latest"),
		do("host", "docker image push localhost:5000/haproxy:latest"),
	},
	"pull":           {do("worker01", "docker image pull registry:5000/swtest/api:latest")},
	"service-create": {do("manager", "docker service create --replicas 1 --publish 8000:8080 --name api registry:5000/swtest/api:latest")},
	"service-ls":     {do("manager", "docker service ls")},
	"service-scale":  {do("manager", "docker service scale api=6")},
	"service-ps":     {do("manager", "docker service ps api")},
	"service-rm":     {do("manager", "docker service rm api"), look("manager", "docker service ls")},
	"network":        {do("manager", "docker network create --driver=overlay --attachable swtest_net")},
	"stack-file":     {do("manager", "cat /stack/webapi.yml")},
	"stack-deploy":   {do("manager", "docker stack deploy -c /stack/webapi.yml swtest")},
	"stack-ls":       {do("manager", "docker stack services swtest"), do("manager", `docker stack ps -f "DESIRED-STATE=Running" swtest`)},
	"visualizer":     {look("manager", "cat /stack/visualizer.yml"), do("manager", "docker stack deploy -c /stack/visualizer.yml visualizer")},
	"ingress":        {look("manager", "cat /stack/ingress.yml"), do("manager", "docker stack deploy -c /stack/ingress.yml ingress")},
	"worker-stop":    {do("host", "docker stop worker01")},
	"lab-restart":    {do("host", "swarmlab stop"), do("host", "swarmlab start")},
	"down":           {do("host", "swarmlab down")},
}

// learner plays a learner on the default lab.
type learner struct {
	t    *testing.T
	path string // PATH with 'swarmlab' on it, for the host commands
	join string // the worker join command, once known
	// typedAt is when each step's last command finished, for the ticks of
	// a --watch beside the learner.
	typedAt map[string]time.Time
}

func newLearner(t *testing.T) *learner {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(bin, filepath.Join(dir, "swarmlab")); err != nil {
		t.Fatal(err)
	}
	return &learner{t: t, path: dir + string(os.PathListSeparator) + os.Getenv("PATH"), typedAt: map[string]time.Time{}}
}

// run types one command and returns its output; a failing command fails
// the test unless mayFail.
func (l *learner) run(ty typing, mayFail bool) string {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	if ty.where == "host" {
		cmd = exec.CommandContext(ctx, "sh", "-c", adapt(ty.cmd))
		cmd.Dir = l.t.TempDir() // not the repository: the lab uses its own stack copies
	} else {
		cmd = exec.CommandContext(ctx, "docker", "exec", tutorialLab.ContainerName(ty.where), "sh", "-c", ty.cmd)
	}
	cmd.Env = append(os.Environ(), "PATH="+l.path, "LANG=C")
	out, err := cmd.CombinedOutput()
	if err != nil && !mayFail {
		l.t.Fatalf("@%s %s: %v\n%s", ty.where, ty.cmd, err, out)
	}
	return string(out)
}

// swarmlab runs swarmlab on the default lab.
func (l *learner) swarmlab(args ...string) string {
	l.t.Helper()
	cmd := exec.Command(bin, append(labArgs(l.t), args...)...)
	cmd.Dir = l.t.TempDir()
	cmd.Env = append(os.Environ(), "LANG=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		l.t.Fatalf("swarmlab %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// progress is what 'swarmlab tutorial --json' says.
func (l *learner) progress() tutorial.Progress {
	l.t.Helper()
	out := l.swarmlab("tutorial", "--json")
	var p tutorial.Progress
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		l.t.Fatalf("tutorial --json: %v\n%s", err, out)
	}
	return p
}

var joinRE = regexp.MustCompile(`docker swarm join --token \S+ \S+:2377`)

// joinCommand reads the join command as a learner who lost it would, with
// 'docker swarm join-token worker' on the manager.
func (l *learner) joinCommand() string {
	l.t.Helper()
	out := l.run(do("manager", "docker swarm join-token worker"), false)
	return joinRE.FindString(out)
}

// commands are the step's commands as the learner types them.
func (l *learner) commands(id string) []typing {
	if w, ok := strings.CutPrefix(id, "join-"); ok {
		if l.join == "" {
			l.join = l.joinCommand()
		}
		return []typing{do(w, l.join)}
	}
	return handout[id]
}

// checked lists the ids of the steps with a check, in order.
func checked() []string {
	var out []string
	for _, s := range tutorial.Steps(tutorial.Env{Workers: []string{"worker01", "worker02", "worker03"}}) {
		if s.Check != nil {
			out = append(out, s.ID)
		}
	}
	return out
}

// stepIDs lists every step's id, in order.
func stepIDs() []string {
	var out []string
	for _, s := range tutorial.Steps(tutorial.Env{Workers: []string{"worker01", "worker02", "worker03"}}) {
		out = append(out, s.ID)
	}
	return out
}

// expect polls the tutorial until exactly want is done, failing at once if a
// step outside want is ever done: a step ticked early.
func (l *learner) expect(want []string, timeout time.Duration) tutorial.Progress {
	l.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		p := l.progress()
		done := p.Done()
		for _, id := range done {
			if !slices.Contains(want, id) {
				l.t.Fatalf("%s is ticked early; want only %v done\n%s", id, want, describe(p))
			}
		}
		if len(done) == len(want) {
			return p
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("after %s, done %v, want %v\n%s", timeout, done, want, describe(p))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// describe is a progress as a test failure shows it.
func describe(p tutorial.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "lab %s, current %q, %s\n", p.LabState, p.Current, p.Message)
	for _, s := range p.Steps {
		fmt.Fprintf(&b, "  %s %-15s %-8s %s %s %s\n", tutorial.Mark(s), s.ID, s.Status, s.By, s.Detail, s.Hint)
	}
	return b.String()
}

// typeStep types every command of a step and checks the tutorial after
// each: the step ticks after the last command that is not a look, and not
// before; looks change nothing. done are the steps done before it; it
// returns them with this one if it has a check.
func (l *learner) typeStep(id string, done []string) []string {
	l.t.Helper()
	cmds := l.commands(id)
	if len(cmds) == 0 {
		l.t.Fatalf("no commands for step %s", id)
	}
	isChecked := slices.Contains(checked(), id)
	last := len(cmds) - 1
	for last > 0 && cmds[last].look {
		last--
	}
	want := done
	if isChecked {
		want = append(slices.Clone(done), id)
		if id == "down" {
			want = []string{"down"} // nothing else of the lab is left to read
		}
	}
	for i, c := range cmds {
		out := l.run(c, false)
		if id == "init" {
			l.join = joinRE.FindString(out)
		}
		switch {
		case i < last && id == "lab-restart":
			// The lab is stopped: nothing can be checked, nothing is new.
			p := l.progress()
			if p.LabState != tutorial.LabStopped {
				l.t.Fatalf("after swarmlab stop the lab is %s", p.LabState)
			}
			for _, d := range p.Done() {
				if !slices.Contains(done, d) {
					l.t.Fatalf("%s ticked while the lab is stopped", d)
				}
			}
		case i < last:
			l.expect(done, 0)
		case i == last && isChecked:
			l.typedAt[id] = time.Now()
			start := time.Now()
			l.expect(want, 4*time.Minute)
			l.t.Logf("%-15s ticked %5.1fs after its command", id, time.Since(start).Seconds())
		default:
			l.expect(want, 0)
		}
	}
	return want
}

// cleanupTutorial removes the default lab and the host tags for its
// registry that the tests typed, mistakes included.
func cleanupTutorial(t *testing.T) {
	exec.Command(bin, append(labArgs(t), "down", "--purge", "-q")...).Run()
	out, _ := exec.Command("docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}").Output()
	for _, ref := range strings.Fields(string(out)) {
		if strings.HasPrefix(ref, fmt.Sprintf("localhost:%d/", tutorialLab.Ports.Registry)) || strings.HasPrefix(ref, fmt.Sprintf("127.0.0.1:%d/", tutorialLab.Ports.Registry)) {
			exec.Command("docker", "image", "rm", ref).Run()
		}
	}
}

func startHandsOn(t *testing.T) *learner {
	t.Helper()
	// The default lab may be someone's own: never take it over.
	if out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=io.swarmlab.lab="+tutorialLab.Name).Output(); len(out) > 0 {
		t.Fatalf("the tutorial's tests use the lab %q, which exists: remove it first with 'swarmlab --name %[1]s down --purge', or name another with SWARMLAB_TUTORIAL_LAB", tutorialLab.Name)
	}
	cleanupTutorial(t)
	t.Cleanup(func() { cleanupTutorial(t) })
	l := newLearner(t)
	start := time.Now()
	out := l.swarmlab("up", "--hands-on")
	t.Logf("up --hands-on took %s", time.Since(start).Round(100*time.Millisecond))
	contains(t, out, "ready for the hands-on tutorial")
	return l
}

// TestTutorialTyped plays a learner who types every command of the handout,
// verbatim, each in the terminal the handout says, and checks after each
// that the tutorial ticks exactly the step it finishes, never one early.
func TestTutorialTyped(t *testing.T) {
	l := startHandsOn(t)
	p := l.expect(nil, 0)
	if p.Current != "init" || p.LabState != tutorial.LabRunning {
		t.Fatalf("a new hands-on lab: %s", describe(p))
	}
	// The tutorial prints the handout's commands.
	for _, s := range p.Steps {
		if want := handout[s.ID]; want != nil {
			var got []string
			for _, c := range want {
				if c.where == "host" {
					got = append(got, adapt(c.cmd))
				} else {
					got = append(got, c.cmd)
				}
			}
			if !slices.Equal(s.Commands, got) {
				t.Errorf("%s: the tutorial says %q, the handout %q", s.ID, s.Commands, got)
			}
		}
	}
	w := watch(t)
	var done []string
	for _, id := range stepIDs() {
		done = l.typeStep(id, done)
	}
	if p := l.progress(); p.LabState != tutorial.LabDown {
		t.Fatalf("after down: %s", describe(p))
	}
	// A --watch beside the learner ticked the steps in their order, each
	// shortly after its last command.
	lines := w.stop()
	var order []string
	var report strings.Builder
	for _, line := range lines {
		for _, id := range line.p.Done() {
			if !slices.Contains(order, id) {
				order = append(order, id)
				fmt.Fprintf(&report, "%s %.2fs; ", id, line.at.Sub(l.typedAt[id]).Seconds())
			}
		}
	}
	t.Logf("--watch ticked, after the step's last command: %s", report.String())
	save("tutorial-watch-ticks.txt", report.String()+"\n")
	if want := checked(); !slices.Equal(order, want) {
		t.Fatalf("--watch ticked %v, want %v in that order", order, want)
	}
}

// watchLine is one line of 'swarmlab tutorial --watch --json', when it came.
type watchLine struct {
	at time.Time
	p  tutorial.Progress
}

type watcher struct {
	cancel context.CancelFunc
	done   chan []watchLine
}

// watch runs 'swarmlab tutorial --watch --json' beside the learner.
func watch(t *testing.T) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append(labArgs(t), "tutorial", "--watch", "--json")...)
	cmd.Env = append(os.Environ(), "LANG=C")
	cmd.SysProcAttr = dieWithParent()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &watcher{cancel: cancel, done: make(chan []watchLine, 1)}
	go func() {
		var lines []watchLine
		dec := json.NewDecoder(out)
		for {
			var p tutorial.Progress
			if dec.Decode(&p) != nil {
				break
			}
			lines = append(lines, watchLine{time.Now(), p})
		}
		cmd.Wait()
		w.done <- lines
	}()
	t.Cleanup(cancel)
	return w
}

func (w *watcher) stop() []watchLine {
	w.cancel()
	return <-w.done
}
