//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/class"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// The class test's own lab, image tag and server port, so that it runs
// beside the other tests and leaves everyone's images alone.
var (
	classLab   = lab.Config{Name: "cls", Ports: lab.Ports{Ingress: 28000, Visualizer: 29000, Stats: 21936, Registry: 25000}}
	classImage = "swarmlab-e2e/classnode:cls" // a name no registry has: up cannot pull it
	classAddr  = "127.0.0.1:27011"
)

// classServer is 'swarmlab class serve' as a child process.
type classServer struct {
	t      *testing.T
	dir    string
	cmd    *exec.Cmd
	code   string
	secret string
}

func startClass(t *testing.T, dir string) *classServer {
	t.Helper()
	cmd := exec.Command(bin, "class", "serve", "--dir", dir, "--addr", classAddr)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &classServer{t: t, dir: dir, cmd: cmd}
	t.Cleanup(s.kill)
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(30 * time.Second)
	for sc.Scan() && time.Now().Before(deadline) {
		line := sc.Text()
		if c, ok := strings.CutPrefix(line, "Class code: "); ok {
			s.code = strings.Fields(c)[0]
		}
		if i := strings.Index(line, "?token="); i >= 0 {
			s.secret = strings.TrimSpace(line[i+len("?token="):])
			break
		}
	}
	go io.Copy(io.Discard, out)
	if s.code == "" || s.secret == "" {
		t.Fatal("class serve printed no code or teacher URL")
	}
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + classAddr + "/healthz"); err == nil {
			resp.Body.Close()
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("class serve does not answer")
	return nil
}

// kill stops the server as a crash would.
func (s *classServer) kill() {
	if s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGKILL)
		s.cmd.Wait()
	}
}

func (s *classServer) board() class.Board {
	s.t.Helper()
	req, _ := http.NewRequest("GET", "http://"+classAddr+"/api/teacher/board", nil)
	req.Header.Set("Authorization", "Bearer "+s.secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("board: %v", err)
	}
	defer resp.Body.Close()
	var b class.Board
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		s.t.Fatalf("board: %v", err)
	}
	return b
}

// waitBoard waits until the board shows the learner with step done.
func (s *classServer) waitBoard(name, done string, timeout time.Duration) class.Learner {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	var last class.Learner
	for time.Now().Before(deadline) {
		for _, l := range s.board().Learners {
			if l.Name == name {
				last = l
				if l.Steps[done] == "done" {
					return l
				}
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	s.t.Fatalf("the board does not show %s done for %s within %s: %+v", done, name, timeout, last)
	return last
}

// TestClass runs a class: the teacher prepares the folder and serves it;
// a learner joins, 'up' gets the node image from the class server (pulls
// impossible), types the handout's first steps with 'tutorial --watch'
// running, and the board shows them. The server is killed and restarted
// mid-class (nothing lost), then away while the learner types a step (the
// step arrives when it is back).
func TestClass(t *testing.T) {
	// The node image under a name of the test's own, so that removing it
	// removes no one else's.
	node := ""
	for _, ref := range []string{lab.LocalNodeImage, lab.Defaults().NodeImage} {
		if exec.Command("docker", "image", "inspect", ref).Run() == nil {
			node = ref
			break
		}
	}
	if node == "" {
		t.Fatalf("no node image (%s or %s) on the engine: build it with 'swarmlab build node-image'", lab.LocalNodeImage, lab.Defaults().NodeImage)
	}
	if out, err := exec.Command("docker", "tag", node, classImage).CombinedOutput(); err != nil {
		t.Fatalf("docker tag: %v\n%s", err, out)
	}
	dir := t.TempDir()
	home := t.TempDir()
	conf := filepath.Join(t.TempDir(), "lab.yaml")
	p := classLab.Ports
	os.WriteFile(conf, []byte(fmt.Sprintf("name: %s\nnodeImage: %s\nports:\n  ingress: %d\n  visualizer: %d\n  stats: %d\n  registry: %d\n",
		classLab.Name, classImage, p.Ingress, p.Visualizer, p.Stats, p.Registry)), 0o644)
	env := append(os.Environ(), "SWARMLAB_CLASS_HOME="+home, "SWARMLAB_CLASS_RETRY=1s", "LANG=C")
	run := func(ctx context.Context, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("swarmlab %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	ctx := context.Background()
	cleanup := func() {
		exec.Command(bin, "--config", conf, "down", "--purge", "-q").Run()
		exec.Command("docker", "image", "rm", classImage).Run()
	}
	cleanup()
	exec.Command("docker", "tag", node, classImage).Run()
	t.Cleanup(cleanup)

	// Before the session: the folder.
	out := run(ctx, "--config", conf, "class", "prepare", dir)
	contains(t, out, "ready")
	save("class-prepare.log", out)
	srv := startClass(t, dir)

	// The learner joins; the node image is gone from the engine and cannot
	// be pulled: up loads it from the class server.
	out = run(ctx, "class", "join", "http://"+classAddr, strings.ToLower(srv.code), "--name", "E2E <learner>")
	contains(t, out, "Joined the class")
	if fi, err := os.Stat(filepath.Join(home, "class.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("class.json: %v %v", fi, err)
	}
	if out, err := exec.Command("docker", "image", "rm", classImage).CombinedOutput(); err != nil {
		t.Fatalf("docker image rm: %v\n%s", err, out)
	}
	start := time.Now()
	out = run(ctx, "--config", conf, "up", "--hands-on")
	save("class-up.log", out)
	contains(t, out, "loaded from the class server")
	t.Logf("up --hands-on with the node image from the class: %s", time.Since(start).Round(time.Second))

	// tutorial --watch reports in the background.
	wctx, stopWatch := context.WithCancel(ctx)
	watchCmd := exec.CommandContext(wctx, bin, "--config", conf, "tutorial", "--watch", "--json")
	watchCmd.Env = env
	watchCmd.Stdout, watchCmd.Stderr = io.Discard, io.Discard
	if err := watchCmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stopWatch(); watchCmd.Wait() }()
	name := "E2E <learner>"
	exe := func(node, command string) string {
		t.Helper()
		out, err := exec.Command("docker", "exec", classLab.ContainerName(node), "sh", "-c", command).CombinedOutput()
		if err != nil {
			t.Fatalf("@%s %s: %v\n%s", node, command, err, out)
		}
		return string(out)
	}
	out = exe("manager", "docker swarm init")
	join := joinRE.FindString(out)
	l := srv.waitBoard(name, "init", 30*time.Second)
	t.Logf("init on the board; current %s", l.Current)

	// The server crashes and comes back: nothing lost.
	srv.kill()
	srv = startClass(t, dir)
	if l := srv.waitBoard(name, "init", 5*time.Second); l.Ticks == 0 {
		t.Fatal("the learner's ticks are gone after the restart")
	}
	exe("worker01", join)
	srv.waitBoard(name, "join-worker01", 30*time.Second)

	// Away for a while: the learner types a step meanwhile; it arrives when
	// the server is back.
	srv.kill()
	exe("worker02", join)
	time.Sleep(20 * time.Second)
	srv = startClass(t, dir)
	srv.waitBoard(name, "join-worker02", 20*time.Second)

	// A hand, and the export.
	run(ctx, "class", "hand", "<b>is this right?</b>")
	b := srv.board()
	if len(b.Class.Hands) != 1 || b.Class.Hands[0].Question != "<b>is this right?</b>" {
		t.Fatalf("hands: %+v", b.Class.Hands)
	}
	req, _ := http.NewRequest("GET", "http://"+classAddr+"/api/teacher/export.csv", nil)
	req.Header.Set("Authorization", "Bearer "+srv.secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	save("class-export.csv", string(csv))
	if !strings.Contains(string(csv), "E2E <learner>") || !strings.Contains(string(csv), "init_done") {
		t.Fatalf("export:\n%s", csv)
	}
	run(ctx, "class", "leave")
}
