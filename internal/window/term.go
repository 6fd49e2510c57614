package window

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// The bridge's protocol on the page's WebSocket: binary frames carry the
// terminal's bytes (keys one way, output the other, output cut on character
// boundaries); text frames carry JSON: from the page {"type":"resize",
// "cols":80,"rows":24}; to the page {"type":"status","state":...}.

// Bridge states, as the page shows them.
const (
	StateConnected = "connected" // a shell runs in the node
	StateWaiting   = "waiting"   // the node is stopped or restarting: a new shell comes when it runs
	StateEnded     = "ended"     // the shell exited; a new one starts
)

// control is a text frame from the page.
type control struct {
	Type string `json:"type"`
	Cols int    `json:"cols"`
	Rows int    `json:"rows"`
}

// status is a text frame to the page.
type status struct {
	Type    string `json:"type"` // always "status"
	State   string `json:"state"`
	Node    string `json:"node"`
	Session int    `json:"session"`          // from 1: how many shells this page has had in the node
	Detail  string `json:"detail,omitempty"` // why it waits
}

// Terminal sizes the bridge accepts; xterm.js never asks for more.
const (
	minSize = 2
	maxCols = 1000
	maxRows = 500
)

func clampSize(cols, rows int) (int, int) {
	return min(max(cols, minSize), maxCols), min(max(rows, minSize), maxRows)
}

// querySize reads ?cols=&rows=, the page's size when it connects.
func querySize(r *http.Request) (int, int) {
	cols, err := strconv.Atoi(r.URL.Query().Get("cols"))
	if err != nil {
		cols = 80
	}
	rows, err := strconv.Atoi(r.URL.Query().Get("rows"))
	if err != nil {
		rows = 24
	}
	return clampSize(cols, rows)
}

// bridge joins one page's terminal to shells in one node, one after the
// other: when the node stops, or the shell exits, the page keeps its
// WebSocket and gets a new shell as soon as the node runs again.
type bridge struct {
	lab  Lab
	node string
	ws   *websocket.Conn
	poll time.Duration // how often a stopped node is tried again
	log  *slog.Logger

	mu         sync.Mutex
	cur        Shell
	cols, rows int
}

// run bridges until the page goes or ctx ends.
func (b *bridge) run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go b.fromPage(ctx, cancel)
	// A page that goes away leaves a shell blocked in Read: close it.
	stop := context.AfterFunc(ctx, func() { b.swap(nil) })
	defer stop()
	session, lastWait := 0, ""
	for ctx.Err() == nil {
		b.mu.Lock()
		cols, rows := b.cols, b.rows
		b.mu.Unlock()
		sh, err := b.lab.Shell(ctx, b.node, cols, rows)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if d := err.Error(); d != lastWait {
				lastWait = d
				b.send(ctx, status{State: StateWaiting, Detail: d, Session: session})
			}
			sleep(ctx, b.poll)
			continue
		}
		lastWait = ""
		session++
		b.swap(sh)
		if ctx.Err() != nil { // the page left while the shell started
			b.swap(nil)
			return
		}
		// The size may have changed while the shell started.
		b.mu.Lock()
		if b.cols != cols || b.rows != rows {
			_ = sh.Resize(ctx, b.cols, b.rows)
		}
		b.mu.Unlock()
		b.send(ctx, status{State: StateConnected, Session: session})
		started := time.Now()
		b.toPage(ctx, sh)
		b.swap(nil)
		if ctx.Err() != nil {
			return
		}
		b.send(ctx, status{State: StateEnded, Session: session})
		if time.Since(started) < time.Second { // a shell that dies at once: do not spin
			sleep(ctx, b.poll)
		}
	}
}

// swap makes sh the shell keys go to, closing the one before.
func (b *bridge) swap(sh Shell) {
	b.mu.Lock()
	old := b.cur
	b.cur = sh
	b.mu.Unlock()
	if old != nil && old != sh {
		if err := old.Close(); err != nil {
			b.log.Debug("closing a shell", "node", b.node, "err", err)
		}
	}
}

// toPage copies the shell's output to the page until the shell ends.
func (b *bridge) toPage(ctx context.Context, sh Shell) {
	var j utf8Joiner
	buf := make([]byte, 32<<10)
	for {
		n, err := sh.Read(buf)
		if n > 0 {
			if out := j.next(buf[:n]); len(out) > 0 {
				if werr := b.ws.Write(ctx, websocket.MessageBinary, out); werr != nil {
					return
				}
			}
		}
		if err != nil {
			if rest := j.flush(); len(rest) > 0 {
				_ = b.ws.Write(ctx, websocket.MessageBinary, rest)
			}
			return
		}
	}
}

// fromPage types the page's keys into the current shell and follows its
// size, until the WebSocket closes. Keys typed while no shell runs are
// dropped: they were meant for a shell that is gone.
func (b *bridge) fromPage(ctx context.Context, cancel context.CancelFunc) {
	defer cancel()
	for {
		typ, data, err := b.ws.Read(ctx)
		if err != nil {
			return
		}
		b.mu.Lock()
		sh := b.cur
		b.mu.Unlock()
		switch typ {
		case websocket.MessageBinary:
			if sh != nil {
				if _, err := sh.Write(data); err != nil {
					b.log.Debug("typing into a shell", "node", b.node, "err", err)
				}
			}
		case websocket.MessageText:
			var c control
			if json.Unmarshal(data, &c) != nil || c.Type != "resize" {
				continue
			}
			cols, rows := clampSize(c.Cols, c.Rows)
			b.mu.Lock()
			b.cols, b.rows = cols, rows
			b.mu.Unlock()
			if sh != nil {
				if err := sh.Resize(ctx, cols, rows); err != nil {
					b.log.Debug("resizing a terminal", "node", b.node, "err", err)
				}
			}
		}
	}
}

func (b *bridge) send(ctx context.Context, s status) {
	s.Type, s.Node = "status", b.node
	data, _ := json.Marshal(s)
	if err := b.ws.Write(ctx, websocket.MessageText, data); err != nil && !errors.Is(err, context.Canceled) {
		b.log.Debug("writing to a page", "node", b.node, "err", err)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
