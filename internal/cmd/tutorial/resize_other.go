//go:build !unix

package tutorial

import (
	"context"
	"os"
	"time"

	"golang.org/x/term"
)

// resizes sends when the terminal changes size, and closes when ctx ends. Windows has no SIGWINCH:
// look at the size four times a second.
func resizes(ctx context.Context, f *os.File) <-chan struct{} {
	out := make(chan struct{}, 1)
	go func() {
		defer close(out)
		w, h, _ := term.GetSize(int(f.Fd()))
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if nw, nh, err := term.GetSize(int(f.Fd())); err == nil && (nw != w || nh != h) {
				w, h = nw, nh
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}
