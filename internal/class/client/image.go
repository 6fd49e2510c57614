package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/swarmlab/swarmlab/internal/class/proto"
)

// ImageLoader is the one Engine API call the download point needs (the
// engine's 'docker load').
type ImageLoader interface {
	ImageLoad(ctx context.Context, input io.Reader, opts ...client.ImageLoadOption) (image.LoadResponse, error)
}

// Manifest asks the class server for its download point's files.
func Manifest(ctx context.Context, m Membership) (proto.Manifest, error) {
	var man proto.Manifest
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := call(ctx, http.MethodGet, m.URL, proto.PathFiles, m.Token, nil, &man)
	return man, err
}

// FindImage returns the first file that holds one of refs, and that ref.
func FindImage(man proto.Manifest, refs []string) (proto.File, string, bool) {
	for _, want := range refs {
		for _, f := range man.Files {
			if slices.Contains(f.Images, want) {
				return f, want, true
			}
		}
	}
	return proto.File{}, "", false
}

// LoadImage fetches the first of refs the class server has, checks its
// SHA-256 and loads it into the engine. It returns the ref loaded and where
// it came from. engine must be able to load images (the Engine API
// client); progress gets a line every second or so.
func LoadImage(ctx context.Context, engine any, refs []string, progress func(string)) (ref, from string, err error) {
	m, err := Load()
	if err != nil {
		return "", "", err
	}
	loader, ok := engine.(ImageLoader)
	if !ok {
		return "", "", errors.New("this engine client cannot load images")
	}
	man, err := Manifest(ctx, m)
	if err != nil {
		return "", "", fmt.Errorf("asking the class server at %s for its images: %w", m.URL, err)
	}
	f, ref, ok := FindImage(man, refs)
	if !ok {
		return "", "", fmt.Errorf("the class server at %s has none of %s (the teacher prepares them with 'swarmlab class prepare')", m.URL, strings.Join(refs, ", "))
	}
	path, err := Download(ctx, m, f, progress)
	if err != nil {
		return "", "", err
	}
	fh, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer fh.Close()
	progress(fmt.Sprintf("loading %s into the engine", f.Name))
	resp, err := loader.ImageLoad(ctx, fh, client.ImageLoadWithQuiet(true))
	if err != nil {
		return "", "", fmt.Errorf("loading %s into the engine: %w", f.Name, err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if s := string(out); strings.Contains(s, `"error"`) || strings.Contains(s, `"errorDetail"`) {
		return "", "", fmt.Errorf("loading %s into the engine: %s", f.Name, strings.TrimSpace(s))
	}
	// The tarball is kept: a second lab, or a repair, loads it again offline.
	return ref, m.URL + proto.PathFile + f.Name, nil
}

// Download fetches f into the cache folder, resuming a partial download
// (Range), and checks its SHA-256. It returns the file's path.
func Download(ctx context.Context, m Membership, f proto.File, progress func(string)) (string, error) {
	cache, err := os.UserCacheDir()
	if h := os.Getenv(HomeEnv); h != "" || err != nil {
		cache = h
		if cache == "" {
			cache = os.TempDir()
		}
	}
	dir := filepath.Join(cache, "swarmlab", "class-files")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	final := filepath.Join(dir, f.SHA256+"-"+filepath.Base(f.Name))
	if sum, err := fileSum(final); err == nil && sum == f.SHA256 {
		progress(fmt.Sprintf("%s already downloaded from the class server", f.Name))
		return final, nil
	}
	part := final + ".part"
	for attempt := 0; ; attempt++ {
		err := fetchRange(ctx, m, f, part, progress)
		if err == nil {
			break
		}
		if ctx.Err() != nil || attempt == 4 {
			return "", fmt.Errorf("downloading %s from %s: %w", f.Name, m.URL, err)
		}
		progress(fmt.Sprintf("%s: %v; trying again", f.Name, err))
		time.Sleep(time.Duration(attempt+1) * time.Second)
	}
	sum, err := fileSum(part)
	if err != nil {
		return "", err
	}
	if sum != f.SHA256 {
		os.Remove(part)
		return "", fmt.Errorf("%s from the class server has SHA-256 %s, its SHA256SUMS says %s: the file was damaged on the way or changed on the server; run up again", f.Name, sum, f.SHA256)
	}
	return final, os.Rename(part, final)
}

// fetchRange continues part from where it stopped.
func fetchRange(ctx context.Context, m Membership, f proto.File, part string, progress func(string)) error {
	fh, err := os.OpenFile(part, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer fh.Close()
	have, err := fh.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if have >= f.Size {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+proto.PathFile+f.Name, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+m.Token)
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusPartialContent:
	case http.StatusOK:
		if err := fh.Truncate(0); err != nil {
			return err
		}
		if _, err := fh.Seek(0, io.SeekStart); err != nil {
			return err
		}
		have = 0
	default:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return &StatusError{Code: resp.StatusCode, Text: string(b)}
	}
	pr := &progressReader{r: resp.Body, done: have, total: f.Size, name: f.Name, from: m.URL, progress: progress, start: time.Now()}
	_, err = io.Copy(fh, pr)
	return err
}

type progressReader struct {
	r           io.Reader
	done, total int64
	name, from  string
	progress    func(string)
	last, start time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if time.Since(p.last) > time.Second {
		p.last = time.Now()
		p.progress(fmt.Sprintf("downloading %s from the class server %s: %d of %d MB", p.name, p.from, p.done>>20, p.total>>20))
	}
	return n, err
}

func fileSum(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
