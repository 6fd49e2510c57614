package payload

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"
)

// Archs lists the Linux architectures this binary carries a server for.
func Archs() []string {
	var out []string
	for _, arch := range []string{"amd64", "arm64"} {
		if Has(arch) {
			out = append(out, arch)
		}
	}
	return out
}

// Has reports whether a server for linux/arch is embedded.
func Has(arch string) bool {
	_, err := fs.Stat(files, name(arch))
	return err == nil
}

func name(arch string) string { return "files/linux_" + arch + ".zst" }

// Binary returns the embedded server for linux/arch, decompressed.
func Binary(arch string) ([]byte, error) {
	return binaryFrom(files, arch)
}

func binaryFrom(fsys fs.FS, arch string) ([]byte, error) {
	f, err := fsys.Open(name(arch))
	if err != nil {
		return nil, fmt.Errorf("no server binary for linux/%s in this swarmlab: %w", arch, err)
	}
	defer f.Close()
	dec, err := zstd.NewReader(f)
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, dec); err != nil {
		return nil, fmt.Errorf("decompress the server binary for linux/%s: %w", arch, err)
	}
	return b.Bytes(), nil
}

// Digest is the short content digest the lab labels its images with.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

// Extract writes the server for linux/arch to the user's cache, once per
// content, and returns its path and Digest.
func Extract(arch string) (string, string, error) {
	return extractFrom(files, arch, cacheDir())
}

func extractFrom(fsys fs.FS, arch, dir string) (string, string, error) {
	bin, err := binaryFrom(fsys, arch)
	if err != nil {
		return "", "", err
	}
	sum := Digest(bin)
	path := filepath.Join(dir, "swarmlab-server-linux-"+arch+"-"+sum)
	if st, err := os.Stat(path); err == nil && st.Size() == int64(len(bin)) {
		return path, sum, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	// Write aside and rename, so that a concurrent run never reads half a file.
	tmp, err := os.CreateTemp(dir, ".swarmlab-server-*")
	if err != nil {
		return "", "", err
	}
	_, err = tmp.Write(bin)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", "", fmt.Errorf("write the server binary to %s: %w", dir, err)
	}
	// Those of earlier versions are not needed any more.
	old, _ := filepath.Glob(filepath.Join(dir, "swarmlab-server-linux-"+arch+"-*"))
	for _, p := range old {
		if p != path {
			os.Remove(p)
		}
	}
	return path, sum, nil
}

func cacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "swarmlab")
	}
	return filepath.Join(os.TempDir(), "swarmlab")
}
