package visualizer

import (
	"context"
	"sync"

	"github.com/swarmlab/swarmlab/internal/visualizer/panel"
)

// Source reads the swarm. It is read-only by contract: the page is a window,
// never a remote control.
type Source interface {
	// Snapshot returns the swarm as the page shows it. It must honour ctx and
	// be safe to call from several goroutines. The returned State is owned by
	// the caller. An error means the swarm could not be read at all.
	Snapshot(ctx context.Context) (State, error)
	// Watch returns a channel that receives a value whenever the swarm may
	// have changed, until ctx is done, when it is closed. Signals may be
	// coalesced or spurious; the server re-reads the state either way. A
	// source without change notifications returns nil and relies on the
	// server's periodic resync.
	Watch(ctx context.Context) <-chan struct{}
}

// MemorySource is a Source that returns a state set by its owner. Tests use
// it as the fake swarm; the demo mode animates one.
type MemorySource struct {
	mu       sync.Mutex
	state    State
	err      error
	watchers map[chan struct{}]struct{}
}

// NewMemorySource returns a source that starts with st.
func NewMemorySource(st State) *MemorySource {
	return &MemorySource{state: st, watchers: map[chan struct{}]struct{}{}}
}

// Set replaces the state, clears any error and notifies watchers.
func (m *MemorySource) Set(st State) {
	m.mu.Lock()
	m.state, m.err = st, nil
	m.mu.Unlock()
	m.notify()
}

// SetError makes Snapshot fail with err (nil to recover), as when Docker
// goes away.
func (m *MemorySource) SetError(err error) {
	m.mu.Lock()
	m.err = err
	m.mu.Unlock()
	m.notify()
}

// Snapshot implements Source.
func (m *MemorySource) Snapshot(ctx context.Context) (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return State{}, m.err
	}
	return cloneState(m.state), ctx.Err()
}

// Watch implements Source.
func (m *MemorySource) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	m.mu.Lock()
	m.watchers[ch] = struct{}{}
	m.mu.Unlock()
	out := make(chan struct{})
	go func() {
		defer close(out)
		defer func() {
			m.mu.Lock()
			delete(m.watchers, ch)
			m.mu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				select {
				case out <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

func (m *MemorySource) notify() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for ch := range m.watchers {
		select {
		case ch <- struct{}{}:
		default: // a signal is already pending; one is enough
		}
	}
}

// cloneState copies the slices so a caller cannot change the source's state
// (or race with it) through the returned value.
func cloneState(st State) State {
	st.Nodes = append([]Node(nil), st.Nodes...)
	st.Services = append([]Service(nil), st.Services...)
	st.Tasks = append([]Task(nil), st.Tasks...)
	st.Networks = append([]Network(nil), st.Networks...)
	if st.Tutorial != nil {
		t := *st.Tutorial
		t.Steps = append([]panel.Step(nil), t.Steps...)
		st.Tutorial = &t
	}
	return st
}
