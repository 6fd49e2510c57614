package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Timeout bounds a whole browser test, so a hung page fails instead of
// stalling the test binary until its global timeout.
const Timeout = 90 * time.Second

// ExecPath finds Chromium: $CHROMIUM if set (and only it, so a wrong
// setting is not silently replaced by another browser), else the usual names
// on PATH. It returns "" when none is found.
func ExecPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		if p, err := exec.LookPath(p); err == nil {
			return p
		}
		return ""
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// NewContext returns a chromedp context on a fresh headless Chromium with
// its own profile in a temporary directory. The browser is closed by the
// cancel function and, in any case, when the test ends.
func NewContext(t testing.TB) (context.Context, context.CancelFunc) {
	t.Helper()
	path := ExecPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found: install it (apt-get install chromium) or set CHROMIUM; browser tests cannot be skipped in CI")
		}
		t.Skip("chromium not found; set CHROMIUM or install chromium to run browser tests")
	}
	// chromedp's defaults (headless, no timer throttling, ...) plus the
	// flags that keep a test browser offline and quiet.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // tests often run as root in containers
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1400, 900),
	)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), Timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	// Start the browser now, so that a broken install fails here with a
	// clear message instead of inside the first action.
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
		t.Fatalf("failed to start chromium at %s: %v", path, err)
	}
	var once bool
	cancel := func() {
		if once {
			return
		}
		once = true
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	}
	t.Cleanup(cancel)
	return bctx, cancel
}

// ArtifactDir is where tests save screenshots: $SWARMLAB_ARTIFACTS (created
// if needed), else a temporary directory of the test.
func ArtifactDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("SWARMLAB_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("failed to create artifact directory: %v", err)
	}
	return dir
}
