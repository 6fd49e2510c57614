package open

import (
	"context"
	"errors"
	"time"

	"github.com/swarmlab/swarmlab/internal/class/client"
	"github.com/swarmlab/swarmlab/internal/window"
)

// feedInterval is how often the window asks the class server what the
// teacher says: the learner asks (outbound only, so NAT is no obstacle).
var feedInterval = 3 * time.Second

// classNotices follows the broadcasts of the class the learner joined.
type classNotices struct{}

func (classNotices) Follow(ctx context.Context, show func(window.Notice)) error {
	m, err := client.Load()
	if errors.Is(err, client.ErrNotJoined) {
		return nil
	}
	if err != nil {
		return err
	}
	var last time.Time
	t := time.NewTicker(feedInterval)
	defer t.Stop()
	for {
		// A teacher's laptop that is away is no error for the learner: the
		// next round asks again.
		if f, err := client.GetFeed(ctx, m); err == nil && f.Broadcast != "" && f.BroadcastAt.After(last) {
			last = f.BroadcastAt
			show(window.Notice{At: f.BroadcastAt, From: "teacher", Text: f.Broadcast})
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

var _ window.Notices = classNotices{}
