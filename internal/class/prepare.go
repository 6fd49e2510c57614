package class

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/client"
	"github.com/klauspost/compress/gzip"
)

// ImageSaver is the Engine API call prepare needs ('docker save').
type ImageSaver interface {
	ImageSave(ctx context.Context, images []string, opts ...client.ImageSaveOption) (io.ReadCloser, error)
}

// Prepared is one file prepare wrote or found.
type Prepared struct {
	Name   string
	Size   int64
	SHA256 string
	Images []string
}

// Prepare fills the download point in dir: each of refs saved as a gzip
// docker-save tarball in dir/images with SHA256SUMS and images.json, and a
// SHA256SUMS for dir/releases when the teacher put archives there without
// one. A tarball already there for the same image is saved again: the
// engine's image may have changed.
func Prepare(ctx context.Context, engine ImageSaver, dir string, refs []string, progress func(string)) ([]Prepared, error) {
	imgDir := filepath.Join(dir, ImagesDir)
	if err := os.MkdirAll(imgDir, 0o755); err != nil {
		return nil, err
	}
	index := map[string][]string{}
	if b, err := os.ReadFile(filepath.Join(imgDir, ImagesIndex)); err == nil {
		_ = json.Unmarshal(b, &index)
	}
	sums := readSums(filepath.Join(imgDir, SumsFile))
	var out []Prepared
	for _, ref := range refs {
		name := fileName(ref) + ".tar.gz"
		start := time.Now()
		progress(fmt.Sprintf("saving %s into %s", ref, filepath.Join(imgDir, name)))
		size, sum, err := saveImage(ctx, engine, ref, filepath.Join(imgDir, name))
		if err != nil {
			return out, err
		}
		index[name], sums[name] = []string{ref}, sum
		out = append(out, Prepared{Name: ImagesDir + "/" + name, Size: size, SHA256: sum, Images: []string{ref}})
		progress(fmt.Sprintf("saved %s: %d MB in %s", ref, size>>20, time.Since(start).Round(time.Second)))
	}
	b, _ := json.MarshalIndent(index, "", "  ")
	if err := os.WriteFile(filepath.Join(imgDir, ImagesIndex), b, 0o644); err != nil {
		return out, err
	}
	if err := writeSums(filepath.Join(imgDir, SumsFile), sums); err != nil {
		return out, err
	}
	rel, err := sumReleases(filepath.Join(dir, ReleasesDir), progress)
	return append(out, rel...), err
}

// fileName turns an image reference into a file name.
func fileName(ref string) string {
	r := strings.NewReplacer("/", "_", ":", "_", "@", "_")
	return r.Replace(ref)
}

func saveImage(ctx context.Context, engine ImageSaver, ref, path string) (int64, string, error) {
	rc, err := engine.ImageSave(ctx, []string{ref})
	if err != nil {
		return 0, "", fmt.Errorf("saving %s: %w", ref, err)
	}
	defer rc.Close()
	tmp := path + ".tmp"
	fh, err := os.Create(tmp)
	if err != nil {
		return 0, "", err
	}
	defer os.Remove(tmp)
	h := sha256.New()
	zw := gzip.NewWriter(io.MultiWriter(fh, h))
	_, err = io.Copy(zw, rc)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, "", fmt.Errorf("saving %s: %w", ref, err)
	}
	fi, err := os.Stat(tmp)
	if err != nil {
		return 0, "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, "", err
	}
	return fi.Size(), hex.EncodeToString(h.Sum(nil)), nil
}

// sumReleases checks dir's archives against its SHA256SUMS, or writes one.
func sumReleases(dir string, progress func(string)) ([]Prepared, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	given := readSums(filepath.Join(dir, SumsFile))
	sums := map[string]string{}
	var out []Prepared
	for _, e := range ents {
		if !e.Type().IsRegular() || e.Name() == SumsFile || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		sum, size, err := sumFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return out, err
		}
		if want, ok := given[e.Name()]; ok && want != sum {
			return out, fmt.Errorf("%s: SHA-256 %s, its SHA256SUMS says %s: copy the release again", filepath.Join(dir, e.Name()), sum, want)
		}
		sums[e.Name()] = sum
		out = append(out, Prepared{Name: ReleasesDir + "/" + e.Name(), Size: size, SHA256: sum})
	}
	if len(sums) == 0 {
		return nil, nil
	}
	progress(fmt.Sprintf("%d release file(s) in %s checked", len(out), dir))
	return out, writeSums(filepath.Join(dir, SumsFile), sums)
}

func sumFile(path string) (string, int64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

func writeSums(path string, sums map[string]string) error {
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s  %s\n", sums[n], n)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
