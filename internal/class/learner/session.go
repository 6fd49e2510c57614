package learner

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/swarmlab/swarmlab/internal/checks"
	"github.com/swarmlab/swarmlab/internal/class/client"
	"github.com/swarmlab/swarmlab/internal/class/proto"
	"github.com/swarmlab/swarmlab/internal/tutorial"
)

// Session is one tutorial command's link to the class; nil when the
// learner is in no class, and then every method does nothing.
type Session struct {
	r      *client.Reporter
	cancel context.CancelFunc

	mu          sync.Mutex
	lastSummary time.Time
	lastCurrent string
	last        *tutorial.Progress
	note        [2]string // what came of the last hand raised from the keyboard, in English and Japanese
	single      bool      // the keyboard is in single-key mode: h alone raises a hand
	redraw      func()
}

// Start starts reporting in the background until Close.
func Start(ctx context.Context) *Session {
	r := client.NewReporter()
	if r == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	r.Start(ctx)
	return &Session{r: r, cancel: cancel}
}

// summaryEvery: the lab is read again for the summary of nodes and
// services at most this often (and when the step changes).
const summaryEvery = 30 * time.Second

// Progress reports a progress. read, if not nil, reads the lab for the
// summary of nodes and services; it is called only now and then.
func (s *Session) Progress(p tutorial.Progress, read func() (*tutorial.State, error)) {
	if s == nil {
		return
	}
	t := Tick(p)
	s.mu.Lock()
	due := read != nil && (p.Current != s.lastCurrent || time.Since(s.lastSummary) > summaryEvery)
	s.lastCurrent = p.Current
	s.last = &p
	if due {
		s.lastSummary = time.Now()
	}
	s.mu.Unlock()
	if due {
		if st, err := read(); err == nil {
			t.Summary = Summarize(st)
		}
	}
	s.r.Report(t)
}

// Summarize counts what the lab shows: its nodes and each service's tasks.
func Summarize(st *tutorial.State) *proto.Summary {
	if st == nil || st.Swarm == nil {
		return &proto.Summary{}
	}
	sm := &proto.Summary{Nodes: len(st.Swarm.Nodes)}
	for _, n := range st.Swarm.Nodes {
		if n.State == "ready" {
			sm.Ready++
		}
	}
	for _, svc := range st.Swarm.Services {
		running, _ := svc.Running(st.Swarm.Nodes)
		want := fmt.Sprint(svc.Replicas)
		if svc.Global {
			want = "global"
		}
		sm.Services = append(sm.Services, fmt.Sprintf("%s %d/%s", svc.Name, running, want))
	}
	return sm
}

// OnFeed calls fn when the teacher's feed changes.
func (s *Session) OnFeed(fn func()) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.redraw = fn
	s.mu.Unlock()
	s.r.OnFeed(func(proto.Feed) { fn() })
}

// Lines is the block for --watch.
func (s *Session) Lines(lang string) []string {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	last, note, single := s.last, s.note, s.single
	s.mu.Unlock()
	lines := Lines(s.r, lang, last, single)
	if msg := pick(lang == tutorial.Japanese, note[0], note[1]); msg != "" {
		lines = append(lines, "  "+msg)
	}
	return lines
}

// Close stops the background sender, giving what is queued up to a second
// to go; what does not go stays queued for the next command.
func (s *Session) Close() {
	if s == nil {
		return
	}
	s.cancel()
	s.r.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.r.Flush(ctx)
}

// Once reports a progress from a one-off command: queued, then sent if the
// server answers within a second and a half.
func Once(ctx context.Context, p tutorial.Progress, read func() (*tutorial.State, error)) {
	r := client.NewReporter()
	if r == nil {
		return
	}
	t := Tick(p)
	if read != nil {
		if st, err := read(); err == nil {
			t.Summary = Summarize(st)
		}
	}
	r.Report(t)
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	_ = r.Flush(ctx)
}

// Verified reports a 'swarmlab verify' to the class, when in one: which
// goals failed, by name. Like Once, it waits a second and a half at most.
func Verified(ctx context.Context, goals []checks.Goal) {
	r := client.NewReporter()
	if r == nil {
		return
	}
	v := &proto.VerifyResult{At: time.Now(), OK: true}
	for _, g := range goals {
		if !g.OK {
			v.OK = false
			v.Failed = append(v.Failed, g.Name+": "+g.Detail)
		}
	}
	r.Report(proto.Tick{Verify: v})
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	_ = r.Flush(ctx)
}
