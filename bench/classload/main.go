// Command classload simulates a room of learners against a class server:
// each joins from its own loopback address (127.0.x.y, as learners on a LAN
// have their own), then ticks a changed tutorial state every interval. One
// teacher's board (a real server-sent events client) measures how long a
// tick takes to reach it. With -fetch N, N learners download the node
// image at once. With -pid, the server's CPU time and peak memory while
// the learners tick are read from /proc. SIGINT or SIGTERM ends the ticking
// early, with the report. Used by bench/class.sh and bench/class-real.sh;
// -demo makes a varied room for the board's screenshots.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/swarmlab/swarmlab/internal/class"
	"github.com/swarmlab/swarmlab/internal/class/proto"
)

var (
	url      = flag.String("url", "http://127.0.0.1:7010", "class server")
	code     = flag.String("code", "", "class code")
	secret   = flag.String("secret", "", "teacher secret (for the board's stream)")
	learners = flag.Int("learners", 200, "simulated learners")
	interval = flag.Duration("interval", time.Second, "each learner ticks this often")
	duration = flag.Duration("duration", 30*time.Second, "how long to tick")
	fetch    = flag.Int("fetch", 0, "learners downloading the first image file at once (0: none)")
	demo     = flag.Bool("demo", false, "a varied room for screenshots: progress at different paces, hints, hands; ticks until -duration")
	pid      = flag.Int("pid", 0, "the class server's process id: report its CPU time and peak memory (VmHWM) while the learners tick")
)

var names = []string{"Aiko", "Ben", "Chen Wei", "Daisuke", "Emma", "Fatima", "Goro", "Hana", "Ivan", "Jun", "Kenta", "Lena", "Mai", "Nobu", "Olivia", "Priya", "Quentin", "Rin", "Sota", "Takumi", "Umi", "Vikram", "Wataru", "Xiao", "Yui", "Zoe", "佐藤 花子", "鈴木 一郎", "高橋 美咲", "田中 健"}

func client(i int) *http.Client {
	local := &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+i/250), byte(1+i%250))}
	d := &net.Dialer{LocalAddr: local, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 1}}
}

func post(c *http.Client, path, token string, v any, out any) (int, error) {
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest("POST", *url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == 200 {
		json.Unmarshal(body, out)
	}
	return resp.StatusCode, nil
}

func main() {
	flag.Parse()
	steps := class.Steps()
	lat := &latencies{}
	ctx, cancel := context.WithTimeout(context.Background(), *duration+30*time.Second)
	defer cancel()
	// A signal ends the ticking, not the report.
	stop, unstop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer unstop()
	if *secret != "" {
		go board(ctx, lat)
	}
	toks := make([]string, *learners)
	var wg sync.WaitGroup
	joinStart := time.Now()
	for i := range toks {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := names[i%len(names)]
			if i >= len(names) {
				name += " " + strconv.Itoa(i/len(names)+1)
			}
			var jr proto.JoinResponse
			for try := 0; try < 20; try++ {
				c, err := post(client(i), proto.PathJoin, "", proto.JoinRequest{Code: *code, Name: name}, &jr)
				if err == nil && c == 200 {
					toks[i] = jr.Token
					return
				}
				time.Sleep(time.Duration(500+rand.IntN(1000)) * time.Millisecond)
			}
			fmt.Fprintf(os.Stderr, "learner %d could not join\n", i)
		}(i)
	}
	wg.Wait()
	fmt.Printf("joined %d learners in %s\n", *learners, time.Since(joinStart).Round(time.Millisecond))
	if *fetch > 0 {
		fetchAll(toks)
	}
	if *duration <= 0 {
		return
	}
	end := time.Now().Add(*duration)
	cpu0, tick0 := cpuSeconds(*pid), time.Now()
	var sent, failed sync.Map
	for i, tok := range toks {
		if tok == "" {
			continue
		}
		wg.Add(1)
		go func(i int, tok string) {
			defer wg.Done()
			c := client(i)
			pos := 0
			pace := 1 + rand.IntN(4)
			if *demo {
				pos = rand.IntN(len(steps) - 2)
			}
			time.Sleep(time.Duration(rand.Int64N(int64(*interval))))
			t := time.NewTicker(*interval)
			defer t.Stop()
			n := 0
			for seq := int64(1); time.Now().Before(end) && stop.Err() == nil; seq++ {
				if !*demo || rand.IntN(20*pace) == 0 {
					pos = (pos + 1) % len(steps)
				}
				tk := proto.Tick{Seq: seq, LabState: "running", Lang: "en", Position: pos + 1, Total: len(steps), Current: steps[pos].ID,
					Message: "bench " + strconv.FormatInt(time.Now().UnixNano(), 10)}
				for j, st := range steps {
					status := "todo"
					switch {
					case j < pos:
						status = "done"
					case j == pos:
						status = "current"
					case !st.Checked:
						status = "shown"
					}
					tk.Steps = append(tk.Steps, proto.StepState{ID: st.ID, Status: status})
				}
				if *demo {
					tk.Message = ""
					if i%5 == 1 {
						tk.Hint = "the image is not in the registry yet: push it first (docker push localhost:5000/swtest/api)"
					}
					tk.Summary = &proto.Summary{Nodes: 4, Ready: 4, Services: []string{"swtest_api 3/3", "swtest_nginx 3/3"}}
					if n == 0 && i%7 == 3 {
						post(c, proto.PathHand, tok, proto.Hand{Question: "my service stays at 0/3 <why?>"}, nil)
					}
				}
				if code, err := post(c, proto.PathTick, tok, tk, nil); err != nil || code != 200 {
					v, _ := failed.LoadOrStore(i, new(int))
					*v.(*int)++
				} else {
					v, _ := sent.LoadOrStore(i, new(int))
					*v.(*int)++
				}
				n++
				select {
				case <-t.C:
				case <-stop.Done():
				}
			}
		}(i, tok)
	}
	wg.Wait()
	if *pid > 0 {
		el := time.Since(tick0).Seconds()
		cpu := cpuSeconds(*pid) - cpu0
		fmt.Printf("server while ticking: CPU %.2f s in %.1f s (%.2f s/min), peak RSS %d MB\n", cpu, el, cpu/el*60, peakRSS(*pid)>>10)
	}
	total, fails := 0, 0
	sent.Range(func(_, v any) bool { total += *v.(*int); return true })
	failed.Range(func(_, v any) bool { fails += *v.(*int); return true })
	time.Sleep(500 * time.Millisecond)
	fmt.Printf("ticks sent: %d ok, %d failed\n", total, fails)
	lat.report()
}

// board follows the teacher's stream and measures each tick's way to it
// (the tick carries its send time).
func board(ctx context.Context, lat *latencies) {
	req, _ := http.NewRequestWithContext(ctx, "GET", *url+"/api/teacher/events", nil)
	req.Header.Set("Authorization", "Bearer "+*secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		fmt.Fprintln(os.Stderr, "board stream:", err)
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		var l struct{ Message string }
		if json.Unmarshal([]byte(line[6:]), &l) != nil {
			continue
		}
		if ns, ok := strings.CutPrefix(l.Message, "bench "); ok {
			if n, err := strconv.ParseInt(ns, 10, 64); err == nil {
				lat.add(time.Since(time.Unix(0, n)))
			}
		}
	}
}

type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) report() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		fmt.Println("tick→board: no samples (no -secret?)")
		return
	}
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	q := func(p float64) time.Duration { return l.d[int(p*float64(len(l.d)-1))].Round(time.Millisecond) }
	fmt.Printf("tick→board latency over %d ticks: p50 %s, p90 %s, p99 %s, max %s\n", len(l.d), ms(q(0.5)), ms(q(0.9)), ms(q(0.99)), ms(q(1)))
}

// fetchAll downloads the first image file with -fetch learners at once.
func fetchAll(toks []string) {
	req, _ := http.NewRequest("GET", *url+proto.PathFiles, nil)
	req.Header.Set("Authorization", "Bearer "+toks[0])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "manifest:", err)
		return
	}
	var m proto.Manifest
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if len(m.Files) == 0 {
		fmt.Println("fetch: the server has no files (run swarmlab class prepare)")
		return
	}
	f := m.Files[0]
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < *fetch && i < len(toks); i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, _ := http.NewRequest("GET", *url+proto.PathFile+f.Name, nil)
			req.Header.Set("Authorization", "Bearer "+toks[i])
			c := client(i)
			c.Timeout = 0
			resp, err := c.Do(req)
			if err != nil {
				fmt.Fprintln(os.Stderr, "fetch:", err)
				return
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if n != f.Size {
				fmt.Fprintf(os.Stderr, "fetch %d: %d of %d bytes\n", i, n, f.Size)
			}
		}(i)
	}
	wg.Wait()
	el := time.Since(start)
	mb := float64(f.Size) * float64(*fetch) / (1 << 20)
	fmt.Printf("fetch: %d learners × %s (%d MB) in %.3f s: %.0f MB/s in all\n", *fetch, f.Name, f.Size>>20, el.Seconds(), mb/el.Seconds())
}

// ms is a duration in milliseconds, "12.3 ms", for the scripts to read.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// cpuSeconds is a process's CPU time (user and system) from
// /proc/PID/stat; 0 without one.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command's name, which may hold spaces: state is
	// field 3, utime 14 and stime 15; clock ticks are 100 a second on Linux.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}

// peakRSS is a process's peak resident memory (VmHWM) in kB.
func peakRSS(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}
