package class

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/class/proto"
)

// childEnv makes the test binary a class server on the folder it names:
// the crash test kills it with SIGKILL in the middle of writes.
const childEnv = "SWARMLAB_CLASS_TEST_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		s, err := Open(context.Background(), Options{Dir: dir, JoinRate: 1000})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Printf("ADDR http://%s %s %s\n", ln.Addr(), s.Code, s.Secret)
		http.Serve(ln, s.Handler())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func startChild(t *testing.T, dir string) (*exec.Cmd, string, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		t.Fatalf("child said %q (%v)", line, err)
	}
	f := strings.Fields(line)
	return cmd, f[1], f[2], f[3]
}

func TestKill9MidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a server process")
	}
	dir := t.TempDir()
	cmd, url, code, secret := startChild(t, dir)
	hc := &http.Client{Timeout: 5 * time.Second}
	post := func(path, token string, v any) (int, []byte) {
		b, _ := json.Marshal(v)
		req, _ := http.NewRequest("POST", url+path, bytes.NewReader(b))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		return resp.StatusCode, buf.Bytes()
	}
	const learners = 8
	tokens := make([]string, learners)
	for i := range tokens {
		c, b := post(proto.PathJoin, "", proto.JoinRequest{Code: code, Name: fmt.Sprint("L", i)})
		var jr proto.JoinResponse
		if c != 200 || json.Unmarshal(b, &jr) != nil {
			t.Fatalf("join: %d %s", c, b)
		}
		tokens[i] = jr.Token
	}
	// Every learner ticks as fast as it can; the server dies under it.
	acked := make([]int64, learners)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range tokens {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for seq := int64(1); ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				steps := []string{"init", "tag", "push", "pull", "service-create"}
				if c, _ := post(proto.PathTick, tokens[i], tick(seq, steps[seq%5], "init")); c == 200 {
					acked[i] = seq
				} else if c == 0 {
					return
				}
			}
		}(i)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	wg.Wait()
	var total int64
	for _, a := range acked {
		total += a
	}
	if total == 0 {
		t.Fatal("no tick was acknowledged before the kill")
	}

	// The same folder again: Open runs SQLite's quick_check, and every
	// acknowledged tick is there.
	s, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer s.Close()
	if s.Code != code || s.Secret != secret {
		t.Fatal("class code or secret lost")
	}
	var integrity string
	s.store.db.QueryRow("PRAGMA integrity_check").Scan(&integrity)
	if integrity != "ok" {
		t.Fatalf("integrity_check: %s", integrity)
	}
	ls := s.Learners()
	if len(ls) != learners {
		t.Fatalf("%d learners after the kill", len(ls))
	}
	for i, l := range ls {
		var n int64
		s.store.db.QueryRow("SELECT count(*) FROM ticks WHERE learner_id = ?", l.ID).Scan(&n)
		if l.seq < acked[i] || n < acked[i] || l.Ticks < int(acked[i]) {
			t.Fatalf("learner %d: acknowledged up to seq %d, stored seq %d, %d ticks, state says %d", i, acked[i], l.seq, n, l.Ticks)
		}
	}
	t.Logf("%d ticks acknowledged before kill -9, all kept", total)
}
