//go:build unix

package tutorial

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// resizes sends when the terminal changes size, and closes when ctx ends: SIGWINCH says so.
func resizes(ctx context.Context, _ *os.File) <-chan struct{} {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	out := make(chan struct{}, 1)
	go func() {
		defer close(out)
		defer signal.Stop(sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}
