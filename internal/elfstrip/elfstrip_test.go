package elfstrip

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A program built as a plain 'go build' builds it (DWARF and symbols in),
// stripped, must run as before, keep its build information and lose every
// unloaded section.
func TestStripRuns(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("runs the stripped ELF program")
	}
	dir := t.TempDir()
	src := `package main

import ("fmt"; "os"; "runtime/debug")

func main() {
	defer func() { fmt.Println("recovered:", recover() != nil) }()
	bi, _ := debug.ReadBuildInfo()
	fmt.Println("hello", len(os.Args), bi.Path)
	var m map[string]int
	m["panics"]++ // a stack trace needs the runtime's own tables, which stay
}
`
	for name, data := range map[string]string{"main.go": src, "go.mod": "module example.com/hello\n\ngo 1.21\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "hello")
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the test builds a program and needs go on PATH: %v", err)
	}
	build := exec.Command(goBin, "build", "-o", bin, ".")
	build.Dir, build.Env = dir, append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	orig, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !hasSection(t, orig, ".debug_info") && !hasSection(t, orig, ".zdebug_info") {
		t.Fatal("the plain build has no DWARF to strip; the test proves nothing")
	}
	stripped, err := Strip(orig)
	if err != nil {
		t.Fatal(err)
	}
	if len(stripped) >= len(orig)*9/10 {
		t.Errorf("stripped %d bytes of %d, want at least 10%%", len(orig)-len(stripped), len(orig))
	}
	f, err := elf.NewFile(bytes.NewReader(stripped))
	if err != nil {
		t.Fatalf("the stripped file is no longer ELF: %v", err)
	}
	for _, s := range f.Sections {
		if s.Type != elf.SHT_NULL && s.Flags&elf.SHF_ALLOC == 0 && s.Name != ".shstrtab" {
			t.Errorf("section %s (%s) is still there", s.Name, s.Type)
		}
	}
	for _, want := range []string{".text", ".rodata", ".gopclntab", ".go.buildinfo", ".data", ".bss"} {
		if f.Section(want) == nil {
			t.Errorf("section %s was lost", want)
		}
	}
	out := filepath.Join(dir, "hello-stripped")
	if err := os.WriteFile(out, stripped, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command(out, "a", "b").CombinedOutput()
	if err != nil {
		t.Fatalf("the stripped program: %v\n%s", err, got)
	}
	if want := "hello 3 example.com/hello\nrecovered: true\n"; string(got) != want {
		t.Errorf("the stripped program printed %q, want %q", got, want)
	}
	bi, err := buildinfo.ReadFile(out)
	if err != nil || bi.Path != "example.com/hello" {
		t.Errorf("build information of the stripped file: %v, %v", bi, err)
	}
	again, err := Strip(stripped)
	if err != nil || !bytes.Equal(again, stripped) {
		t.Errorf("stripping twice changed the file (err %v)", err)
	}
}

func TestNotELF(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("#!/bin/sh\necho hi\n"), []byte(strings.Repeat("\x7fELF", 20))} {
		out, err := Strip(in)
		if err != nil || !bytes.Equal(out, in) {
			t.Errorf("Strip(%q) = %q, %v; want it unchanged", in, out, err)
		}
	}
}

func hasSection(t *testing.T, data []byte, name string) bool {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return f.Section(name) != nil
}
