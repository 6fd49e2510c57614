package tutorial

import (
	"fmt"
	"strings"
	"testing"

	"github.com/swarmlab/swarmlab/internal/lab"
)

// progressAt is the handout's progress with the steps before current done,
// as Evaluate shows it, in lang; hint goes on the current step.
func progressAt(t *testing.T, current, lang, hint string, noIPVS bool) Progress {
	t.Helper()
	env := Env{Lab: "swarmlab", Ports: lab.Ports{Ingress: 8000, Visualizer: 9000, Stats: 1936, Registry: 5000},
		Workers: []string{"worker01", "worker02", "worker03"}, NoIPVS: noIPVS,
		Join: "docker swarm join --token SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx 172.28.5.2:2377"}
	steps := Steps(env)
	at, err := Find(steps, current)
	if err != nil {
		t.Fatal(err)
	}
	p := Progress{Lab: "swarmlab", LabState: LabRunning, Lang: lang, Total: len(steps), Current: current, Position: at + 1}
	for i, st := range steps {
		sp := StepProgress{N: i + 1, ID: st.ID, Title: st.Title.In(lang), Where: st.Where, Commands: st.Commands, Note: st.Note.In(lang), Checked: st.Check != nil}
		switch {
		case st.Check == nil:
			sp.Status = StatusShown
		case i < at:
			sp.Status = StatusDone
		case i == at:
			sp.Status, sp.Hint = StatusCurrent, hint
		default:
			sp.Status = StatusTodo
		}
		p.Steps = append(p.Steps, sp)
	}
	return p
}

// onScreen finds a command among the lines, wrapped or not, and reports
// whether the shell would read it back whole.
func onScreen(lines []string, cmd string) bool {
	for i, l := range lines {
		if !strings.HasPrefix(l, "    ") {
			continue
		}
		got := ""
		for j := i; j < len(lines); j++ {
			part := strings.TrimPrefix(lines[j], "    ")
			if strings.HasSuffix(part, "\\") {
				got += strings.TrimSuffix(part, "\\") // backslash-newline vanishes
				continue
			}
			got += part
			break
		}
		if got == cmd {
			return true
		}
	}
	return false
}

func TestFit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		w, h    int
		current string
		lang    string
		hint    string
		noIPVS  bool
		extra   []string
	}{
		{80, 24, "join-worker01", English, "", false, nil},
		{80, 24, "join-worker02", Japanese, "", false, nil},
		{80, 24, "stack-deploy", English, "The network swtest_net is missing: type 'docker network create --driver=overlay --attachable swtest_net' first.", false, nil},
		{80, 24, "service-create", English, "", true, nil},
		{80, 24, "service-create", Japanese, "", true, nil},
		{80, 24, "ingress", Japanese, "", false, []string{"teacher: 10 more minutes for the stack steps", "teacher: ask if the visualizer stays empty"}},
		{120, 30, "init", English, "", false, nil},
		{120, 30, "tag", Japanese, "", false, nil},
		{120, 30, "service-create", English, "", true, nil},
		{120, 30, "worker-stop", Japanese, "", false, nil},
		{120, 30, "down", English, "", false, nil},
	} {
		t.Run(fmt.Sprintf("%dx%d %s %s", tc.w, tc.h, tc.current, tc.lang), func(t *testing.T) {
			t.Parallel()
			p := progressAt(t, tc.current, tc.lang, tc.hint, tc.noIPVS)
			lines := Fit(p, Screen{Width: tc.w, Height: tc.h, Extra: tc.extra, Footer: "(12:00:00, " + Watching(tc.lang) + ")"})
			screen := strings.Join(lines, "\n")
			if len(lines) > tc.h {
				t.Fatalf("%d lines on a %d-line screen:\n%s", len(lines), tc.h, screen)
			}
			for _, l := range lines {
				if Cells(l) > tc.w {
					t.Fatalf("a line of %d cells on a %d-cell screen: %q", Cells(l), tc.w, l)
				}
			}
			// The header, on top.
			if !strings.HasPrefix(lines[0], `swarmlab tutorial: lab "swarmlab", `+fmt.Sprintf(wordStep.In(tc.lang), p.Position, p.Total)) {
				t.Fatalf("no header on top:\n%s", screen)
			}
			// The current step in the list, with its mark.
			cur, _ := p.Step(p.Current)
			if !strings.Contains(screen, fmt.Sprintf(" %s %2d %-15s", Mark(cur), cur.N, cur.ID)) {
				t.Fatalf("the current step %s is not in the list:\n%s", cur.ID, screen)
			}
			// The last done step is in view, its tick too.
			if cur.N > 1 {
				prev := p.Steps[cur.N-2]
				if !strings.Contains(screen, fmt.Sprintf(" %s %2d %-15s", Mark(prev), prev.N, prev.ID)) {
					t.Fatalf("the step before the current one, %s, is not in view:\n%s", prev.ID, screen)
				}
			}
			// The whole Next block: every next step's title, commands and texts.
			for _, st := range nextSteps(p) {
				if !strings.Contains(strings.ReplaceAll(screen, "\n  ", ""), fmt.Sprintf("%s: %d.", wordNext.In(tc.lang), st.N)) {
					t.Fatalf("no Next title for %s:\n%s", st.ID, screen)
				}
				for _, c := range st.Commands {
					if !onScreen(lines, c) {
						t.Fatalf("command %q is not on screen whole:\n%s", c, screen)
					}
				}
				for _, text := range []string{st.Note, st.Hint} {
					if text != "" && !strings.Contains(squash(screen), squash(text)) {
						t.Fatalf("%q is not on screen:\n%s", text, screen)
					}
				}
			}
			for _, e := range tc.extra {
				if !strings.Contains(squash(screen), squash(e)) {
					t.Fatalf("the extra block %q is not on screen:\n%s", e, screen)
				}
			}
			if !strings.HasPrefix(lines[len(lines)-1], "(12:00:00") || len(lines) != tc.h {
				t.Fatalf("the footer is not on the last line:\n%s", screen)
			}
			t.Logf("\n%s", screen)
		})
	}
}

// squash drops the spaces and line breaks wrapping adds.
func squash(s string) string {
	return strings.NewReplacer("\n", "", " ", "").Replace(s)
}

// TestFitAllWhenRoom: a tall terminal shows every step, none folded.
func TestFitAllWhenRoom(t *testing.T) {
	t.Parallel()
	p := progressAt(t, "network", English, "", false)
	lines := Fit(p, Screen{Width: 120, Height: 60})
	screen := strings.Join(lines, "\n")
	for _, st := range p.Steps {
		if !strings.Contains(screen, fmt.Sprintf(" %s %2d %-15s", Mark(st), st.N, st.ID)) {
			t.Fatalf("step %s missing:\n%s", st.ID, screen)
		}
	}
}

// TestFitFolds: on 80x24 the done steps fold into one line.
func TestFitFolds(t *testing.T) {
	t.Parallel()
	p := progressAt(t, "stack-deploy", English, "", false)
	lines := Fit(p, Screen{Width: 80, Height: 24})
	if !strings.HasPrefix(lines[2], " ✓ 1-13: init, join-worker01") {
		t.Fatalf("no fold line:\n%s", strings.Join(lines, "\n"))
	}
}

func TestWrapCommand(t *testing.T) {
	t.Parallel()
	cmd := "docker service create --replicas 1 --publish 8000:8080 --name api registry:5000/swtest/api:latest"
	lines := wrapCommand(cmd, 40, "    ")
	if len(lines) < 3 || !onScreen(lines, cmd) {
		t.Fatalf("%q", lines)
	}
	for _, l := range lines {
		if Cells(l) > 40 {
			t.Fatalf("line %q wider than 40", l)
		}
	}
	if got := wrapCommand("echo 'a b c d e f g h i j k l m n o p'", 30, ""); strings.Contains(got[0], "'a") && !strings.HasSuffix(got[0], "echo \\") {
		t.Fatalf("broken inside quotes: %q", got)
	}
}
