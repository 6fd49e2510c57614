package registry

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/distribution/v3/registry/storage/driver/testsuites"
)

// distribution's own contract test for storage drivers, the one its
// filesystem driver passes.
func TestFSDriverSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a few hundred MB")
	}
	root := t.TempDir()
	testsuites.Driver(t, func() (storagedriver.StorageDriver, error) { return newFSDriver(root), nil }, false)
}

// The layout is distribution's filesystem driver's: a path is a file under
// the root, so existing registry volumes keep working.
func TestFSDriverLayout(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	d := newFSDriver(root)
	ctx := context.Background()
	const p = "/docker/registry/v2/repositories/swtest/api/_manifests/tags/latest/current/link"
	if err := d.PutContent(ctx, p, []byte("sha256:abc")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, p))
	if err != nil || string(b) != "sha256:abc" {
		t.Fatalf("file = %q, %v", b, err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Join(root, p)), "*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestFSDriverRefusesEscapes(t *testing.T) {
	t.Parallel()
	d := newFSDriver(t.TempDir())
	ctx := context.Background()
	for _, p := range []string{"/a/../../etc/passwd", "/..", "/a/./b", "a/b", "/a//b", "/a b", ""} {
		_, err := d.GetContent(ctx, p)
		var inv storagedriver.InvalidPathError
		if !errors.As(err, &inv) {
			t.Errorf("GetContent(%q) = %v, want an invalid path error", p, err)
		}
		if err := d.PutContent(ctx, p, nil); !errors.As(err, &inv) {
			t.Errorf("PutContent(%q) = %v, want an invalid path error", p, err)
		}
	}
	_, err := d.GetContent(ctx, "/missing/file")
	var nf storagedriver.PathNotFoundError
	if !errors.As(err, &nf) {
		t.Errorf("missing file: %v, want PathNotFoundError", err)
	}
}
