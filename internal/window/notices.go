package window

import (
	"context"
	"time"
)

// Notice is a broadcast of the learner's class: what the teacher sent to
// everyone.
type Notice struct {
	At   time.Time `json:"at"`
	From string    `json:"from,omitempty"`
	Text string    `json:"text"`
}

// Notices follows a class's broadcasts. The window shows the last few on
// the page, newest first.
type Notices interface {
	// Follow calls show with each broadcast, oldest first, until ctx ends.
	// It returns nil at once when the learner has joined no class, and an
	// error when the class cannot be followed (the window then says so and
	// tries again later).
	Follow(ctx context.Context, show func(Notice)) error
}

// NoNotices is the learner who has joined no class: nothing to show.
type NoNotices struct{}

// Follow returns at once: there is no class.
func (NoNotices) Follow(context.Context, func(Notice)) error { return nil }

// maxNotices is how many broadcasts the page keeps.
const maxNotices = 20

var _ Notices = NoNotices{}
