package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	dclient "github.com/docker/docker/client"

	"github.com/swarmlab/swarmlab/internal/class"
	"github.com/swarmlab/swarmlab/internal/class/client"
	"github.com/swarmlab/swarmlab/internal/class/proto"
)

// The tests share the process's environment (SWARMLAB_CLASS_HOME): not
// parallel.

func serve(t *testing.T, dir string) (*class.Server, *httptest.Server) {
	t.Helper()
	s, err := class.Open(context.Background(), class.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, ts
}

func TestJoinRememberedPrivately(t *testing.T) {
	home := t.TempDir()
	t.Setenv(client.HomeEnv, home)
	s, ts := serve(t, t.TempDir())
	if _, err := client.Join(context.Background(), ts.URL, "WRONG1", "Aiko"); err == nil || !strings.Contains(err.Error(), "wrong class code") {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := client.Load(); err != client.ErrNotJoined {
		t.Fatalf("a failed join remembered: %v", err)
	}
	m, err := client.Join(context.Background(), strings.TrimPrefix(ts.URL, "http://"), s.Code, "Aiko")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(home, "class.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("class.json %v %v", fi, err)
	}
	if got, _ := client.Load(); got.Token != m.Token || got.URL != ts.URL {
		t.Fatalf("loaded %+v", got)
	}
	if _, err := client.Leave(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, "class.json")); !os.IsNotExist(err) {
		t.Fatalf("class.json after leave: %v", err)
	}
	if l := s.Learners(); len(l) != 1 || l[0].Left.IsZero() {
		t.Fatalf("server after leave: %+v", l)
	}
}

// The server is away: ticks queue on disk, Report returns at once, and the
// queue goes, in order, when the server is back.
func TestQueuedWhileAway(t *testing.T) {
	t.Setenv(client.HomeEnv, t.TempDir())
	t.Setenv(client.RetryEnv, "100ms")
	dir := t.TempDir()
	s, ts := serve(t, dir)
	if _, err := client.Join(context.Background(), ts.URL, s.Code, "Aiko"); err != nil {
		t.Fatal(err)
	}
	url := ts.URL
	ts.Close()
	s.Close()

	r := client.NewReporter()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.Start(ctx)
	steps := []string{"init", "tag", "push"}
	for i, id := range steps {
		start := time.Now()
		t0 := proto.Tick{Current: id}
		for _, d := range steps[:i] {
			t0.Steps = append(t0.Steps, proto.StepState{ID: d, Status: "done"})
		}
		r.Report(t0)
		if d := time.Since(start); d > 200*time.Millisecond {
			t.Fatalf("Report blocked %s with the server away", d)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := r.Pending(); n != 3 {
		t.Fatalf("%d queued, want 3", n)
	}
	if r.Err() == nil {
		t.Fatal("no error while the server is away")
	}
	// Back, on the same address and folder.
	s2, err := class.Open(context.Background(), class.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	ts2 := httptest.NewUnstartedServer(s2.Handler())
	ln, err := netListen(url)
	if err != nil {
		t.Skipf("the old address is taken: %v", err)
	}
	ts2.Listener = ln
	ts2.Start()
	defer ts2.Close()
	deadline := time.Now().Add(5 * time.Second)
	for r.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	l := s2.Learners()[0]
	if r.Pending() != 0 || l.Current != "push" || l.Ticks != 3 || l.Steps["tag"] != "done" {
		t.Fatalf("after the server came back: %d pending, %+v", r.Pending(), l)
	}
}

type fakeLoader struct{ got []byte }

func (f *fakeLoader) ImageLoad(ctx context.Context, in io.Reader, _ ...dclient.ImageLoadOption) (image.LoadResponse, error) {
	f.got, _ = io.ReadAll(in)
	return image.LoadResponse{Body: io.NopCloser(strings.NewReader(`{"stream":"Loaded image: docker:dind\n"}`))}, nil
}

type fakeSaver struct{ data []byte }

func (f fakeSaver) ImageSave(ctx context.Context, refs []string, _ ...dclient.ImageSaveOption) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(f.data)), nil
}

// prepare saves an image into the folder; a learner's up gets it, checked,
// into the engine. A changed file on the server is refused.
func TestImageFromTheClass(t *testing.T) {
	t.Setenv(client.HomeEnv, t.TempDir())
	dir := t.TempDir()
	tarball := bytes.Repeat([]byte("layer"), 300000)
	if _, err := class.Prepare(context.Background(), fakeSaver{tarball}, dir, []string{"docker:dind"}, func(string) {}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "releases"), 0o755)
	os.WriteFile(filepath.Join(dir, "releases", "swarmlab_linux_amd64.tar.gz"), []byte("release"), 0o644)
	if _, err := class.Prepare(context.Background(), fakeSaver{tarball}, dir, []string{"docker:dind"}, func(string) {}); err != nil {
		t.Fatal(err)
	}
	s, ts := serve(t, dir)
	if _, err := client.Join(context.Background(), ts.URL, s.Code, "Aiko"); err != nil {
		t.Fatal(err)
	}
	m, _ := client.Load()
	man, err := client.Manifest(context.Background(), m)
	if err != nil || len(man.Files) != 2 {
		t.Fatalf("manifest %+v %v", man, err)
	}
	var lines []string
	fl := &fakeLoader{}
	ref, from, err := client.LoadImage(context.Background(), fl, []string{"swarmlab/node:latest", "docker:dind"}, func(s string) { lines = append(lines, s) })
	if err != nil {
		t.Fatal(err)
	}
	if ref != "docker:dind" || !strings.HasPrefix(from, ts.URL) {
		t.Fatalf("loaded %s from %s", ref, from)
	}
	// What the engine got is the image docker save gave, byte for byte.
	zr, _ := gzipReader(fl.got)
	if !bytes.Equal(zr, tarball) {
		t.Fatalf("the engine got %d bytes, not the saved image", len(zr))
	}
	// The file changes on the server after the manifest was read: refused.
	f := man.Files[0]
	for _, x := range man.Files {
		if strings.HasPrefix(x.Name, "images/") {
			f = x
		}
	}
	bad := f
	sum := sha256.Sum256([]byte("other"))
	bad.SHA256 = hex.EncodeToString(sum[:])
	if _, err := client.Download(context.Background(), m, bad, func(string) {}); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("a file with another checksum: %v", err)
	}
	// Without a token or the code, nothing.
	resp, err := httpGet(ts.URL + proto.PathFile + f.Name)
	if err != nil || resp != 401 {
		t.Fatalf("file without credentials: %d %v", resp, err)
	}
	// Not in a manifest, not served (the database is in the same folder).
	req := ts.URL + proto.PathFile + "images/..%2fclass.db"
	if code, _ := httpGetWith(req, m.Token); code != 404 {
		t.Fatalf("class.db through the download point: %d", code)
	}
}
