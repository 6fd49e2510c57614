package window

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/swarmlab/swarmlab/internal/web"
)

// hub keeps the latest value of each live event of the page (the progress,
// the nodes, the notices) and pushes each change to every open page. A page
// that connects gets every value at once; a slow page skips values, never
// slows the others.
type hub struct {
	mu      sync.Mutex
	latest  map[string][]byte
	version map[string]int
	order   []string
	subs    map[chan struct{}]struct{}
}

func newHub() *hub {
	return &hub{latest: map[string][]byte{}, version: map[string]int{}, subs: map[chan struct{}]struct{}{}}
}

// set publishes v as the event's value, when it differs from the last one.
func (h *hub) set(event string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old, seen := h.latest[event]
	if seen && bytes.Equal(old, data) {
		return
	}
	if !seen {
		h.order = append(h.order, event)
	}
	h.latest[event] = data
	h.version[event]++
	for ch := range h.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// keepAlive is how often an idle event stream gets a ping, so that a dead
// page is noticed.
const keepAlive = 15 * time.Second

func (h *hub) serve(w http.ResponseWriter, r *http.Request) {
	s, err := web.NewStream(w)
	if err != nil {
		return
	}
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}()
	seen := map[string]int{}
	ping := time.NewTicker(keepAlive)
	defer ping.Stop()
	for {
		type ev struct {
			name string
			data []byte
		}
		var out []ev
		h.mu.Lock()
		for _, name := range h.order {
			if v := h.version[name]; v != seen[name] {
				seen[name] = v
				out = append(out, ev{name, h.latest[name]})
			}
		}
		h.mu.Unlock()
		for _, e := range out {
			if s.SendRaw(e.name, e.data) != nil {
				return
			}
		}
		select {
		case <-r.Context().Done():
			return
		case <-ch:
		case <-ping.C:
			if s.SendRaw("ping", []byte("{}")) != nil {
				return
			}
		}
	}
}
