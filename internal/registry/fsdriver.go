package registry

// The storage driver: distribution's registry/storage keeps its layout
// (repositories, links, blobs, uploads) as paths in a driver, and this one
// keeps those paths as files under the data directory, laid out exactly as
// distribution's filesystem driver lays them out, so a data volume written
// by either serves the other. It is here, not imported, because that
// driver's package links distribution's tracing, which pulls in the
// OpenTelemetry SDK, its OTLP exporters and gRPC: about 10 MB of every
// image for no use (see doc.go).

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
)

const driverName = "filesystem"

// fsDriver implements distribution's StorageDriver on a directory.
type fsDriver struct {
	root string
}

func newFSDriver(root string) *fsDriver { return &fsDriver{root: root} }

func (d *fsDriver) Name() string { return driverName }

// file maps a driver path (/docker/registry/v2/...) to a file under root,
// refusing what registry/storage never makes: relative paths and "." or
// ".." components, which could leave the root.
func (d *fsDriver) file(p string) (string, error) {
	if !storagedriver.PathRegexp.MatchString(p) {
		return "", storagedriver.InvalidPathError{Path: p, DriverName: driverName}
	}
	for _, c := range strings.Split(p[1:], "/") {
		if c == "." || c == ".." {
			return "", storagedriver.InvalidPathError{Path: p, DriverName: driverName}
		}
	}
	return filepath.Join(d.root, filepath.FromSlash(p)), nil
}

// dir is file, and also takes "/", which PathRegexp does not match but List and
// Walk may be given.
func (d *fsDriver) dir(p string) (string, error) {
	if p == "/" {
		return d.root, nil
	}
	return d.file(p)
}

func (d *fsDriver) notFound(p string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return storagedriver.PathNotFoundError{Path: p, DriverName: driverName}
	}
	return err
}

func (d *fsDriver) GetContent(ctx context.Context, p string) ([]byte, error) {
	name, err := d.file(p)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, d.notFound(p, err)
	}
	return b, nil
}

// PutContent writes through a temporary file and a rename, so that a
// reader never sees half a link or half a manifest.
func (d *fsDriver) PutContent(ctx context.Context, p string, content []byte) error {
	name, err := d.file(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(content)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

func (d *fsDriver) Reader(ctx context.Context, p string, offset int64) (io.ReadCloser, error) {
	name, err := d.file(p)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, storagedriver.InvalidOffsetError{Path: p, Offset: offset, DriverName: driverName}
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, d.notFound(p, err)
	}
	// Past the end is not an error: the reader is empty.
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (d *fsDriver) Writer(ctx context.Context, p string, appendTo bool) (storagedriver.FileWriter, error) {
	name, err := d.file(p)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return nil, err
	}
	flags := os.O_WRONLY | os.O_CREATE
	if !appendTo {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(name, flags, 0o644)
	if err != nil {
		return nil, err
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &fileWriter{f: f, bw: bufio.NewWriterSize(f, 64<<10), size: size}, nil
}

func (d *fsDriver) Stat(ctx context.Context, p string) (storagedriver.FileInfo, error) {
	name, err := d.dir(p)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(name)
	if err != nil {
		return nil, d.notFound(p, err)
	}
	info := storagedriver.FileInfoFields{Path: p, ModTime: fi.ModTime(), IsDir: fi.IsDir()}
	if !fi.IsDir() {
		info.Size = fi.Size()
	}
	return storagedriver.FileInfoInternal{FileInfoFields: info}, nil
}

func (d *fsDriver) List(ctx context.Context, p string) ([]string, error) {
	name, err := d.dir(p)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(name)
	if err != nil {
		return nil, d.notFound(p, err)
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(p, "/")+"/"+e.Name())
	}
	return out, nil
}

func (d *fsDriver) Move(ctx context.Context, from, to string) error {
	src, err := d.file(from)
	if err != nil {
		return err
	}
	dst, err := d.file(to)
	if err != nil {
		return err
	}
	if _, err := os.Stat(src); err != nil {
		return d.notFound(from, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.Rename(src, dst)
}

func (d *fsDriver) Delete(ctx context.Context, p string) error {
	name, err := d.file(p)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(name); err != nil {
		return d.notFound(p, err)
	}
	return os.RemoveAll(name)
}

// RedirectURL has nothing to redirect to: blobs are served from here.
func (d *fsDriver) RedirectURL(*http.Request, string) (string, error) { return "", nil }

func (d *fsDriver) Walk(ctx context.Context, p string, f storagedriver.WalkFn, options ...func(*storagedriver.WalkOptions)) error {
	return storagedriver.WalkFallback(ctx, d, p, f, options...)
}

// fileWriter buffers writes to one file; Commit or Close flush them.
type fileWriter struct {
	f    *os.File
	bw   *bufio.Writer
	size int64

	closed, committed, cancelled bool
}

func (w *fileWriter) usable() error {
	switch {
	case w.closed:
		return errors.New("file writer already closed")
	case w.committed:
		return errors.New("file writer already committed")
	case w.cancelled:
		return errors.New("file writer already cancelled")
	}
	return nil
}

func (w *fileWriter) Write(p []byte) (int, error) {
	if err := w.usable(); err != nil {
		return 0, err
	}
	n, err := w.bw.Write(p)
	w.size += int64(n)
	return n, err
}

func (w *fileWriter) Size() int64 { return w.size }

func (w *fileWriter) Close() error {
	if w.cancelled {
		return nil // registry/storage closes what it cancelled
	}
	if w.closed {
		return errors.New("file writer already closed")
	}
	w.closed = true
	err := w.bw.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Cancel removes the file, also once closed: registry/storage cancels an
// upload whose commit found the wrong digest after closing it.
func (w *fileWriter) Cancel(ctx context.Context) error {
	if w.cancelled {
		return errors.New("file writer already cancelled")
	}
	if !w.closed {
		_ = w.f.Close()
	}
	w.cancelled, w.closed = true, true
	return os.Remove(w.f.Name())
}

func (w *fileWriter) Commit(ctx context.Context) error {
	if err := w.usable(); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("flush %s: %w", w.f.Name(), err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", w.f.Name(), err)
	}
	w.committed = true
	return nil
}

var (
	_ storagedriver.StorageDriver = (*fsDriver)(nil)
	_ storagedriver.FileWriter    = (*fileWriter)(nil)
)
