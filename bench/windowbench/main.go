// Command windowbench measures 'swarmlab open' as a browser uses it: the
// page's first load (the page, its assets, and the first terminal's
// prompt), keystroke-to-echo latency through the page's WebSocket into a
// node's shell, and the server's memory with terminals open and idle.
// bench/window.sh runs it against a real hands-on lab.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/coder/websocket"
)

func main() {
	link := flag.String("url", "", "the link 'swarmlab open' printed (required)")
	node := flag.String("node", "manager", "the node to type into")
	keys := flag.Int("keys", 1000, "keystrokes to time")
	nodes := flag.String("nodes", "manager,worker01,worker02,worker03", "terminals to hold open while idle")
	idle := flag.Duration("idle", time.Hour, "how long the terminals stay open and idle")
	pid := flag.Int("pid", 0, "the server's process id, to read its memory (Linux /proc)")
	flag.Parse()
	if err := run(*link, *node, *keys, strings.Split(*nodes, ","), *idle, *pid); err != nil {
		fmt.Fprintln(os.Stderr, "windowbench:", err)
		os.Exit(1)
	}
}

func run(link, node string, keys int, nodes []string, idle time.Duration, pid int) error {
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		return fmt.Errorf("-url %q: give the link swarmlab open printed, with its token", link)
	}
	base := u.Scheme + "://" + u.Host
	cookie := "swarmlab-window=" + u.Query().Get("token")
	ctx := context.Background()

	// First load: the page and what it loads, then the first prompt.
	start := time.Now()
	var total int
	for _, p := range []string{"/", "/static/app.css", "/static/vendor/xterm.css", "/static/vendor/xterm.js", "/static/vendor/addon-fit.js", "/static/app.js", "/api/config"} {
		n, err := get(base+p, cookie)
		if err != nil {
			return err
		}
		total += n
	}
	assets := time.Since(start)
	c, err := dial(ctx, base, cookie, node)
	if err != nil {
		return err
	}
	if _, err := readUntil(ctx, c, func(b []byte) bool { return bytes.Contains(b, []byte("# ")) }); err != nil {
		return fmt.Errorf("no prompt in %s: %w", node, err)
	}
	fmt.Printf("first load: page and assets %d KiB in %s; first prompt after %s\n", total/1024, assets.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	// Keystroke to echo: one key, its echo; a backspace (not timed) keeps
	// the line short.
	lat := make([]time.Duration, 0, keys)
	for i := range keys {
		k := byte('a' + i%26)
		t0 := time.Now()
		if err := c.Write(ctx, websocket.MessageBinary, []byte{k}); err != nil {
			return err
		}
		if _, err := readUntil(ctx, c, func(b []byte) bool { return bytes.IndexByte(b, k) >= 0 }); err != nil {
			return fmt.Errorf("key %d: %w", i, err)
		}
		lat = append(lat, time.Since(t0))
		if err := c.Write(ctx, websocket.MessageBinary, []byte{0x7f}); err != nil {
			return err
		}
		if _, err := readUntil(ctx, c, func(b []byte) bool { return bytes.IndexByte(b, '\b') >= 0 }); err != nil {
			return fmt.Errorf("backspace %d: %w", i, err)
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	fmt.Printf("keystroke to echo (%s, %d keys): p50 %s, p99 %s, max %s\n", node, keys, pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
	c.Close(websocket.StatusNormalClosure, "")

	// Memory with terminals open and idle.
	var conns []*websocket.Conn
	for _, n := range nodes {
		c, err := dial(ctx, base, cookie, n)
		if err != nil {
			return err
		}
		go func() { // drain, as a page does
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
			}
		}()
		conns = append(conns, c)
	}
	fmt.Printf("idle: %d terminals open for %s\n", len(conns), idle)
	rss0 := rss(pid)
	peak := rss0
	deadline := time.Now().Add(idle)
	for time.Now().Before(deadline) {
		time.Sleep(min(time.Minute, time.Until(deadline)))
		peak = max(peak, rss(pid))
	}
	end := rss(pid)
	if pid != 0 {
		fmt.Printf("server memory (RSS): %.1f MiB at the start, %.1f MiB at the end, peak %.1f MiB\n", mib(rss0), mib(end), mib(peak))
	}
	for _, c := range conns {
		c.Close(websocket.StatusNormalClosure, "")
	}
	return nil
}

func get(u, cookie string) (int, error) {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Cookie", cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return int(n), err
}

func dial(ctx context.Context, base, cookie, node string) (*websocket.Conn, error) {
	ws := "ws" + strings.TrimPrefix(base, "http") + "/term/" + node + "?cols=120&rows=30"
	c, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: http.Header{"Cookie": {cookie}, "Origin": {base}}})
	if err != nil {
		return nil, fmt.Errorf("terminal %s: %w", node, err)
	}
	return c, nil
}

// readUntil reads terminal output until done says so, ignoring status
// frames.
func readUntil(ctx context.Context, c *websocket.Conn, done func([]byte) bool) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var all []byte
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			return all, err
		}
		if typ != websocket.MessageBinary {
			continue
		}
		all = append(all, b...)
		if done(all) {
			return all, nil
		}
	}
}

// rss is the process's resident memory in bytes, 0 when unknown.
func rss(pid int) int64 {
	if pid == 0 {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			var kb int64
			fmt.Sscan(f[1], &kb)
			return kb * 1024
		}
	}
	return 0
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
