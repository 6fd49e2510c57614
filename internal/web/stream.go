package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Stream sends server-sent events: the board's and the window's live
// updates. Browsers reconnect by themselves after the retry delay.
type Stream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// NewStream starts an event stream on w.
func NewStream(w http.ResponseWriter) (*Stream, error) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s := &Stream{w: w, rc: http.NewResponseController(w)}
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return nil, err
	}
	return s, s.rc.Flush()
}

// Send writes one event whose data is v as JSON, and flushes it.
func (s *Stream) Send(event string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.SendRaw(event, data)
}

// SendRaw writes one event whose data is already encoded (one line).
func (s *Stream) SendRaw(event string, data []byte) error {
	if strings.ContainsAny(event, "\r\n") {
		return fmt.Errorf("event name %q has a line break", event)
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", event, data); err != nil {
		return err
	}
	return s.rc.Flush()
}
