package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/swarmlab/swarmlab/internal/class/proto"
)

// RetryEnv sets how often the reporter retries an unreachable server (a
// Go duration; default 5s).
const RetryEnv = "SWARMLAB_CLASS_RETRY"

// maxQueued ticks are kept while the server is away; older ones go first.
// The newest tick alone says where the learner is; the older ones fill the
// teacher's timeline.
const maxQueued = 2000

func queueDir() (string, error) {
	h, err := Home()
	if err != nil {
		return "", err
	}
	return filepath.Join(h, "class-queue"), nil
}

func clearQueue() error {
	q, err := queueDir()
	if err != nil {
		return err
	}
	return os.RemoveAll(q)
}

// Reporter sends ticks to the class in the background. Report never blocks
// and never fails: a tick goes to a file in the queue folder first, one
// file per tick named by its sequence number, so that two swarmlab
// processes (a watch and a one-off 'tutorial') can share the queue.
type Reporter struct {
	m     Membership
	dir   string
	retry time.Duration
	kick  chan struct{}

	mu      sync.Mutex
	feed    proto.Feed
	hasFeed bool
	onFeed  func(proto.Feed)
	lastErr error
	lastSeq int64
	wg      sync.WaitGroup
}

// NewReporter returns a reporter for the class joined, or nil when there
// is none (every method of a nil Reporter does nothing).
func NewReporter() *Reporter {
	m, err := Load()
	if err != nil {
		return nil
	}
	dir, err := queueDir()
	if err != nil {
		return nil
	}
	retry := 5 * time.Second
	if d, err := time.ParseDuration(os.Getenv(RetryEnv)); err == nil && d > 0 {
		retry = d
	}
	return &Reporter{m: m, dir: dir, retry: retry, kick: make(chan struct{}, 1)}
}

// Membership is the class reported to.
func (r *Reporter) Membership() Membership { return r.m }

// OnFeed sets a function called (from the sending goroutine) with each feed
// that differs from the one before.
func (r *Reporter) OnFeed(fn func(proto.Feed)) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.onFeed = fn
	r.mu.Unlock()
}

// Feed is the last thing the teacher said, and whether there is one yet.
func (r *Reporter) Feed() (proto.Feed, bool) {
	if r == nil {
		return proto.Feed{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.feed, r.hasFeed
}

// Report queues a tick and wakes the sender. The sequence number is the
// clock's, in nanoseconds, so that ticks from two processes still order.
func (r *Reporter) Report(t proto.Tick) {
	if r == nil {
		return
	}
	r.mu.Lock()
	seq := time.Now().UnixNano()
	if seq <= r.lastSeq {
		seq = r.lastSeq + 1
	}
	r.lastSeq = seq
	r.mu.Unlock()
	t.Seq = seq
	if t.At.IsZero() {
		t.At = time.Now()
	}
	if err := r.enqueue(t); err != nil {
		r.setErr(err)
		return
	}
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *Reporter) enqueue(t proto.Tick) error {
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	name := filepath.Join(r.dir, fmt.Sprintf("%020d.json", t.Seq))
	if err := os.WriteFile(name+".tmp", b, 0o600); err != nil {
		return err
	}
	return os.Rename(name+".tmp", name)
}

func (r *Reporter) queued() []string {
	ents, err := os.ReadDir(r.dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	if len(out) > maxQueued {
		for _, n := range out[:len(out)-maxQueued] {
			os.Remove(filepath.Join(r.dir, n))
		}
		out = out[len(out)-maxQueued:]
	}
	return out
}

// Pending is the number of ticks not sent yet.
func (r *Reporter) Pending() int {
	if r == nil {
		return 0
	}
	return len(r.queued())
}

// Err is the last failure to send, nil after a success.
func (r *Reporter) Err() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

func (r *Reporter) setErr(err error) {
	r.mu.Lock()
	r.lastErr = err
	r.mu.Unlock()
}

// errStop: the server does not know this learner any more.
var errStop = errors.New("the class server does not know this learner: join again")

// Flush sends the queue in order until it is empty, ctx ends or a send
// fails. Each request has a short timeout.
func (r *Reporter) Flush(ctx context.Context) error {
	if r == nil {
		return nil
	}
	for _, name := range r.queued() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		path := filepath.Join(r.dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			continue // another process sent it
		}
		var t proto.Tick
		if json.Unmarshal(b, &t) != nil {
			os.Remove(path)
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		var resp proto.TickResponse
		err = call(rctx, http.MethodPost, r.m.URL, proto.PathTick, r.m.Token, t, &resp)
		cancel()
		var se *StatusError
		switch {
		case err == nil:
		case errors.As(err, &se) && se.Code == http.StatusConflict:
			// The server has a newer tick: this one is history it skips.
			_ = json.Unmarshal([]byte(se.Text), &resp)
		case errors.As(err, &se) && se.Code == http.StatusUnauthorized:
			r.setErr(errStop)
			return errStop
		case errors.As(err, &se) && se.Code/100 == 4:
			// Refused as it is (too large...): sending it again will not help.
		default:
			r.setErr(err)
			return err
		}
		os.Remove(path)
		r.gotFeed(resp.Feed)
	}
	r.setErr(nil)
	return nil
}

func (r *Reporter) gotFeed(f proto.Feed) {
	r.mu.Lock()
	changed := !r.hasFeed || r.feed != f
	r.feed, r.hasFeed = f, true
	fn := r.onFeed
	r.mu.Unlock()
	if changed && fn != nil {
		fn(f)
	}
}

// Run sends what is queued until ctx ends: at once when a tick is reported,
// every retry interval while the server is away, and asks for the feed
// every few seconds so that a broadcast shows without a tick.
func (r *Reporter) Run(ctx context.Context) {
	if r == nil {
		return
	}
	t := time.NewTicker(r.retry)
	defer t.Stop()
	poll := time.NewTicker(3 * time.Second)
	defer poll.Stop()
	for {
		if err := r.Flush(ctx); errors.Is(err, errStop) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		case <-t.C:
		case <-poll.C:
			if r.Pending() == 0 {
				if f, err := GetFeed(ctx, r.m); err == nil {
					r.gotFeed(f)
				}
			}
		}
	}
}

// Start runs the reporter in the background until ctx ends; Wait waits for
// it.
func (r *Reporter) Start(ctx context.Context) {
	if r == nil {
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.Run(ctx)
	}()
}

// Wait waits for Start's goroutine.
func (r *Reporter) Wait() {
	if r != nil {
		r.wg.Wait()
	}
}

// RaiseHand raises a hand in the reporter's class, and takes the answer as
// the feed at once, so that a watch shows the hand without waiting for the
// next poll.
func (r *Reporter) RaiseHand(ctx context.Context, question string) error {
	if r == nil {
		return ErrNotJoined
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var f proto.Feed
	if err := call(ctx, http.MethodPost, r.m.URL, proto.PathHand, r.m.Token, proto.Hand{Question: question}, &f); err != nil {
		return fmt.Errorf("raising a hand at %s: %w", r.m.URL, err)
	}
	r.gotFeed(f)
	return nil
}
