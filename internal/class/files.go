package class

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/swarmlab/swarmlab/internal/class/proto"
	"github.com/swarmlab/swarmlab/internal/web"
)

// The download point's folders in the class folder. Each holds a
// SHA256SUMS ('sha256sum' format); images/ also images.json, naming the
// images in each tarball.
const (
	ImagesDir   = "images"
	ReleasesDir = "releases"
	SumsFile    = "SHA256SUMS"
	ImagesIndex = "images.json"
)

// files is the download point: only files listed in a SHA256SUMS are
// served, so nothing else in the folder (the database) can be fetched.
type files struct {
	dir string

	mu      sync.Mutex
	read    time.Time
	listing proto.Manifest
}

func newFiles(dir string) *files { return &files{dir: dir} }

// manifest reads the SHA256SUMS again at most every two seconds: the teacher
// may add releases while the class runs.
func (f *files) manifest() proto.Manifest {
	f.mu.Lock()
	defer f.mu.Unlock()
	if time.Since(f.read) < 2*time.Second {
		return f.listing
	}
	var m proto.Manifest
	images := map[string][]string{}
	if b, err := os.ReadFile(filepath.Join(f.dir, ImagesDir, ImagesIndex)); err == nil {
		_ = json.Unmarshal(b, &images)
	}
	for _, sub := range []string{ImagesDir, ReleasesDir} {
		for name, sum := range readSums(filepath.Join(f.dir, sub, SumsFile)) {
			fi, err := os.Stat(filepath.Join(f.dir, sub, name))
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			m.Files = append(m.Files, proto.File{Name: sub + "/" + name, Size: fi.Size(), SHA256: sum, Images: images[name]})
		}
	}
	f.listing, f.read = m, time.Now()
	return m
}

// readSums reads a SHA256SUMS: "HEX  NAME" or "HEX *NAME" lines; names
// with a path are skipped.
func readSums(path string) map[string]string {
	out := map[string]string{}
	fh, err := os.Open(path)
	if err != nil {
		return out
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), " ")
		name = strings.TrimPrefix(strings.TrimPrefix(name, " "), "*")
		if !ok || len(sum) != 64 || name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
			continue
		}
		out[name] = strings.ToLower(sum)
	}
	return out
}

// download lets through a learner's token or the class code.
func (s *Server) download(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ip := remoteIP(r)
		if code := r.Header.Get(proto.HeaderCode); code != "" {
			if s.credentialsBlocked(ip) {
				tooMany(w, "too many wrong class codes")
				return
			}
			if !web.Equal(normCode(code), s.Code) {
				s.badCredential(ip)
				http.Error(w, "403 wrong class code", http.StatusForbidden)
				return
			}
			h(w, r)
			return
		}
		s.learner(func(w http.ResponseWriter, r *http.Request, _ *Learner) { h(w, r) })(w, r)
	}
}

func (s *Server) manifest(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, s.files.manifest())
}

func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("kind") + "/" + r.PathValue("name")
	for _, f := range s.files.manifest().Files {
		if f.Name != name {
			continue
		}
		fh, err := os.Open(filepath.Join(s.files.dir, filepath.FromSlash(name)))
		if err != nil {
			http.Error(w, "404 "+name+" is gone from the class folder", http.StatusNotFound)
			return
		}
		defer fh.Close()
		fi, err := fh.Stat()
		if err != nil {
			http.Error(w, "500 "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("X-Content-SHA256", f.SHA256)
		http.ServeContent(w, r, "", fi.ModTime(), fh)
		return
	}
	http.Error(w, "404 no such file in the class's download point", http.StatusNotFound)
}
