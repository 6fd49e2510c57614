package registry

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/distribution/v3/registry/storage/driver/testsuites"
)

// slowDriverCases are the suite's cases that take 15 to 50 s each (GBs
// written, a sleep to see modification times move); they run with
// SWARMLAB_DRIVER_SUITE=full. The rest take about a second.
var slowDriverCases = []string{"TestWriteReadLargeStreams", "TestConcurrentFileStreams", "TestStatCall"}

// distribution's own contract test for storage drivers, the one its
// filesystem driver passes.
func TestFSDriverSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads files for seconds")
	}
	if os.Getenv("SWARMLAB_DRIVER_SUITE") != "full" {
		// testify picks a suite's cases with its -testify.m flag.
		var cases []string
		st := reflect.TypeOf(&testsuites.DriverSuite{})
		for i := range st.NumMethod() {
			if m := st.Method(i).Name; strings.HasPrefix(m, "Test") && !slices.Contains(slowDriverCases, m) {
				cases = append(cases, m)
			}
		}
		if len(cases) < 20 {
			t.Fatalf("the driver suite has %d cases, expected many more", len(cases))
		}
		prev := flag.Lookup("testify.m").Value.String()
		if err := flag.Set("testify.m", "^("+strings.Join(cases, "|")+")$"); err != nil {
			t.Fatal(err)
		}
		defer flag.Set("testify.m", prev)
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
