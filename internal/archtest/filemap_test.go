package archtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var goFile = regexp.MustCompile(`\b[a-z0-9_]+\.go\b`)

// fileMap returns the .go files a doc.go's "Files:" paragraph names, and
// whether it has one. The paragraph runs to the next blank comment line.
func fileMap(doc string) ([]string, bool) {
	var names []string
	in, found := false, false
	for _, line := range strings.Split(doc, "\n") {
		text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "//"))
		switch {
		case strings.HasPrefix(text, "Files:"):
			in, found = true, true
		case text == "" || !strings.HasPrefix(strings.TrimSpace(line), "//"):
			in = false
		}
		if in {
			names = append(names, goFile.FindAllString(text, -1)...)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), found
}

func TestFileMapsNameEveryFile(t *testing.T) {
	root := filepath.Join("..", "..")
	maps := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.Name() != "doc.go" {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		named, ok := fileMap(string(src))
		if !ok {
			return nil
		}
		maps++
		entries, err := os.ReadDir(filepath.Dir(path))
		if err != nil {
			return err
		}
		var files []string
		for _, e := range entries {
			if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") && n != "doc.go" {
				files = append(files, n)
			}
		}
		if !slices.Equal(named, files) {
			var missing, gone []string
			for _, f := range files {
				if !slices.Contains(named, f) {
					missing = append(missing, f)
				}
			}
			for _, f := range named {
				if !slices.Contains(files, f) {
					gone = append(gone, f)
				}
			}
			t.Errorf("%s: the file map lacks %v and names %v, which do not exist", path, missing, gone)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if maps < 4 {
		t.Fatalf("found %d file maps; the walk is broken", maps)
	}
}

func TestFileMapParsing(t *testing.T) {
	doc := "// Package x does.\n//\n// Files: a.go (this), b.go and\n// c_d.go.\n//\n// Not e.go.\npackage x\n"
	if got, ok := fileMap(doc); !ok || !slices.Equal(got, []string{"a.go", "b.go", "c_d.go"}) {
		t.Fatalf("%v %v", got, ok)
	}
	if _, ok := fileMap("// Package y names z.go in passing.\npackage y\n"); ok {
		t.Fatal("a doc without Files: has no map")
	}
}
