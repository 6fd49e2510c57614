//go:build linux

// Command classreal is the real learner of bench/class-real.sh. On a
// hands-on lab whose user has joined a class, it types every step's
// commands as 'swarmlab tutorial --json' prints them for the lab (the
// handout's commands, which e2e TestTutorialTyped checks them against), in
// the node or on the host the step names, with 'swarmlab tutorial --watch'
// running beside it as a learner has it. A teacher's board (a
// server-sent-events client) times each checked step from the end of the
// command that finished it to the step's tick in --watch and on the board.
// It prints a Markdown table, one row per step, and the medians.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/swarmlab/swarmlab/internal/class"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/tutorial"
)

var (
	bin     = flag.String("bin", "swarmlab", "the swarmlab binary (the host commands find 'swarmlab' on PATH)")
	labName = flag.String("lab", "classreal", "the hands-on lab")
	url     = flag.String("url", "http://127.0.0.1:7120", "the class server")
	secret  = flag.String("secret", "", "the teacher's secret, for the board")
	name    = flag.String("name", "Real learner", "the learner's name in the class")
	wait    = flag.Duration("step-timeout", 4*time.Minute, "longest wait for a step's tick on the board")
)

// seen keeps when each step was first seen done, and wakes the waiters.
type seen struct {
	mu   sync.Mutex
	at   map[string]time.Time
	wake chan struct{}
}

func newSeen() *seen { return &seen{at: map[string]time.Time{}, wake: make(chan struct{})} }

func (s *seen) done(steps map[string]string) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for id, st := range steps {
		if _, ok := s.at[id]; !ok && st == tutorial.StatusDone {
			s.at[id] = now
			changed = true
		}
	}
	if changed {
		close(s.wake)
		s.wake = make(chan struct{})
	}
}

func (s *seen) get(id string) (time.Time, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.at[id], s.wake
}

// until waits for id to be seen done.
func (s *seen) until(ctx context.Context, id string, timeout time.Duration) (time.Time, bool) {
	deadline := time.After(timeout)
	for {
		at, wake := s.get(id)
		if !at.IsZero() {
			return at, true
		}
		select {
		case <-wake:
		case <-deadline:
			return time.Time{}, false
		case <-ctx.Done():
			return time.Time{}, false
		}
	}
}

func main() {
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "classreal:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	board, watch := newSeen(), newSeen()
	if err := followBoard(ctx, board); err != nil {
		return err
	}
	stopWatch, err := startWatch(ctx, watch)
	if err != nil {
		return err
	}
	defer stopWatch()
	p, err := progress(ctx)
	if err != nil {
		return err
	}
	if p.Current != "init" || len(p.Done()) > 0 {
		return fmt.Errorf("the lab %s is not a new hands-on lab: current %q, done %v", *labName, p.Current, p.Done())
	}
	var ids []string
	for _, st := range p.Steps {
		ids = append(ids, st.ID)
	}
	cfg := lab.Config{Name: *labName}
	type row struct {
		id                   string
		typed, atWatch, atBd time.Time
	}
	var rows []row
	start := time.Now()
	for _, id := range ids {
		// Read again: the join command is known once the swarm exists.
		if p, err = progress(ctx); err != nil {
			return err
		}
		st, _ := p.Step(id)
		var ends []time.Time
		for _, c := range st.Commands {
			if err := typeIn(ctx, cfg, st.Where, c); err != nil {
				return fmt.Errorf("step %s: %w", id, err)
			}
			ends = append(ends, time.Now())
		}
		fmt.Fprintf(os.Stderr, "%6.0fs typed %s\n", time.Since(start).Seconds(), id)
		if !st.Checked {
			continue
		}
		atBoard, ok := board.until(ctx, id, *wait)
		if !ok {
			return fmt.Errorf("step %s is not done on the board %s after its commands", id, *wait)
		}
		atWatch, _ := watch.get(id)
		// The command that finished the step: the last to end before --watch
		// ticked it (a look may follow, as 'docker service ls' follows
		// 'docker service rm api').
		typed := ends[len(ends)-1]
		if !atWatch.IsZero() {
			for i := len(ends) - 1; i > 0 && ends[i].After(atWatch); i-- {
				typed = ends[i-1]
			}
		}
		rows = append(rows, row{id, typed, atWatch, atBoard})
	}
	stopWatch()

	// A command that waits for the swarm ('docker service create' waits for
	// its tasks, 'swarmlab down' for the containers to go) may be ticked
	// while it still runs: "during it", out of the medians.
	secs := func(a, b time.Time) string {
		switch {
		case a.IsZero() || b.IsZero():
			return "-"
		case b.Before(a):
			return fmt.Sprintf("during it (%.2f s before its end)", a.Sub(b).Seconds())
		}
		return fmt.Sprintf("%.2f s", b.Sub(a).Seconds())
	}
	fmt.Printf("The real learner (%s, lab %s): %d checked steps typed in %s\n\n", *name, *labName, len(rows), time.Since(start).Round(time.Second))
	fmt.Println("| step | typed → `tutorial --watch` | `--watch` → board | **typed → board** |")
	fmt.Println("|---|--:|--:|--:|")
	var toWatch, toBoard, watchBoard []float64
	during := 0
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s | **%s** |\n", r.id, secs(r.typed, r.atWatch), secs(r.atWatch, r.atBd), secs(r.typed, r.atBd))
		if !r.atWatch.IsZero() {
			watchBoard = append(watchBoard, r.atBd.Sub(r.atWatch).Seconds())
		}
		if r.atBd.Before(r.typed) || (!r.atWatch.IsZero() && r.atWatch.Before(r.typed)) {
			during++
			continue
		}
		toBoard = append(toBoard, r.atBd.Sub(r.typed).Seconds())
		if !r.atWatch.IsZero() {
			toWatch = append(toWatch, r.atWatch.Sub(r.typed).Seconds())
		}
	}
	fmt.Printf("| **median** (max) | %s | %s | **%s** |\n", stat(toWatch), stat(watchBoard), stat(toBoard))
	if during > 0 {
		fmt.Printf("\n%d step(s) ticked while their command still ran are out of the first and last columns' medians.\n", during)
	}
	if l, err := onBoard(ctx); err == nil {
		fmt.Printf("\nThe board holds %d ticks of the real learner; its last step %q, lab %s.\n", l.Ticks, l.Current, l.LabState)
	}
	return nil
}

// onBoard is the learner as the board has it now.
func onBoard(ctx context.Context) (class.Learner, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", *url+"/api/teacher/board", nil)
	req.Header.Set("Authorization", "Bearer "+*secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return class.Learner{}, err
	}
	defer resp.Body.Close()
	var b class.Board
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		return class.Learner{}, err
	}
	for _, l := range b.Learners {
		if l.Name == *name {
			return l, nil
		}
	}
	return class.Learner{}, fmt.Errorf("%s is not on the board", *name)
}

// stat is "median s (max s)".
func stat(v []float64) string {
	if len(v) == 0 {
		return "-"
	}
	sort.Float64s(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return fmt.Sprintf("%.2f s (%.2f s)", m, v[len(v)-1])
}

// typeIn types one command where the step says: in a node's shell, as
// 'docker exec -it NODE sh' gives it, or on the host.
func typeIn(ctx context.Context, cfg lab.Config, where, command string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	if where == tutorial.Host {
		cmd = exec.CommandContext(ctx, "sh", "-c", command)
		cmd.Dir = os.TempDir() // not the repository: the lab uses its own stack copies
	} else {
		cmd = exec.CommandContext(ctx, "docker", "exec", cfg.ContainerName(where), "sh", "-c", command)
	}
	cmd.Env = append(os.Environ(), "LANG=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("@%s %s: %v\n%s", where, command, err, out)
	}
	return nil
}

// progress is what 'swarmlab tutorial --json' says.
func progress(ctx context.Context) (tutorial.Progress, error) {
	var p tutorial.Progress
	cmd := exec.CommandContext(ctx, *bin, "--name", *labName, "tutorial", "--json")
	cmd.Env = append(os.Environ(), "LANG=C")
	out, err := cmd.Output()
	if err != nil {
		return p, fmt.Errorf("swarmlab tutorial --json: %w\n%s", err, out)
	}
	return p, json.Unmarshal(out, &p)
}

// startWatch runs 'swarmlab tutorial --watch --json', which reports to the
// class as the learner's terminal does, and notes when each step is done
// in it. The stop function interrupts it, so that it sends what it holds.
func startWatch(ctx context.Context, s *seen) (func(), error) {
	cmd := exec.Command(*bin, "--name", *labName, "tutorial", "--watch", "--json")
	cmd.Env = append(os.Environ(), "LANG=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		dec := json.NewDecoder(out)
		for {
			var p tutorial.Progress
			if dec.Decode(&p) != nil {
				break
			}
			steps := map[string]string{}
			for _, st := range p.Steps {
				steps[st.ID] = st.Status
			}
			s.done(steps)
		}
		cmd.Wait()
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cmd.Process.Signal(os.Interrupt)
			select {
			case <-ended:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-ended
			}
		})
	}, nil
}

// followBoard follows the teacher's board and notes when each of the
// learner's steps is first done there.
func followBoard(ctx context.Context, s *seen) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", *url+"/api/teacher/events", nil)
	req.Header.Set("Authorization", "Bearer "+*secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the board: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return fmt.Errorf("the board: %s", resp.Status)
	}
	saw := func(l class.Learner) {
		if l.Name == *name {
			s.done(l.Steps)
		}
	}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			if e, ok := strings.CutPrefix(line, "event: "); ok {
				event = e
				continue
			}
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				continue
			}
			switch event {
			case "board":
				var b class.Board
				if json.Unmarshal([]byte(data), &b) == nil {
					for _, l := range b.Learners {
						saw(l)
					}
				}
			case "learner":
				var l class.Learner
				if json.Unmarshal([]byte(data), &l) == nil {
					saw(l)
				}
			}
		}
	}()
	return nil
}
