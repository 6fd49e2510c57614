// Package lbtest helps tests of the proxying core and the servers built on
// it: a load loop that runs while a test changes routing underneath.
package lbtest

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
)

// UnderLoad sends requests from workers goroutines until change returns,
// and counts the answers that were 200 with a body ok accepts, and the rest.
// A failure's cause is logged.
func UnderLoad(t testing.TB, workers int, send func() (*http.Response, error), ok func(body string) bool, change func()) (okN, failN int64) {
	t.Helper()
	var good, bad atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := send()
				if err != nil {
					t.Log(err)
					bad.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !ok(string(b)) {
					t.Log(resp.StatusCode, string(b))
					bad.Add(1)
				} else {
					good.Add(1)
				}
			}
		}()
	}
	change()
	close(stop)
	wg.Wait()
	return good.Load(), bad.Load()
}
