package window

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// fakeLab is a lab whose shells echo what is typed, as a terminal in
// cooked mode does, and record their sizes.
type fakeLab struct {
	mu      sync.Mutex
	nodes   []Node
	shells  []*fakeShell
	started chan *fakeShell
}

func newFakeLab(names ...string) *fakeLab {
	f := &fakeLab{started: make(chan *fakeShell, 16)}
	for _, n := range names {
		role := "worker"
		if n == "manager" {
			role = "manager"
		}
		f.nodes = append(f.nodes, Node{Name: n, Role: role, Running: true})
	}
	return f
}

func (f *fakeLab) Nodes(context.Context) ([]Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.nodes), nil
}

func (f *fakeLab) Shell(_ context.Context, node string, cols, rows int) (Shell, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.nodes, func(n Node) bool { return n.Name == node })
	if i < 0 {
		return nil, fmt.Errorf("no node %q", node)
	}
	if !f.nodes[i].Running {
		return nil, fmt.Errorf("%s is not running", node)
	}
	pr, pw := io.Pipe()
	s := &fakeShell{node: node, out: pw, in: pr, size: [][2]int{{cols, rows}}}
	f.shells = append(f.shells, s)
	f.started <- s
	return s, nil
}

// stop stops a node: its shells end, and no new one starts until start.
func (f *fakeLab) stop(node string) {
	f.mu.Lock()
	var open []*fakeShell
	for i := range f.nodes {
		if f.nodes[i].Name == node {
			f.nodes[i].Running = false
		}
	}
	for _, s := range f.shells {
		if s.node == node {
			open = append(open, s)
		}
	}
	f.mu.Unlock()
	for _, s := range open {
		s.out.CloseWithError(io.EOF)
	}
}

func (f *fakeLab) start(node string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.nodes {
		if f.nodes[i].Name == node {
			f.nodes[i].Running = true
		}
	}
}

type fakeShell struct {
	node string
	out  *io.PipeWriter // what the terminal shows
	in   *io.PipeReader

	mu     sync.Mutex
	typed  []byte
	size   [][2]int
	closed bool
}

func (s *fakeShell) Read(p []byte) (int, error) { return s.in.Read(p) }

// Write echoes: what is typed shows in the terminal.
func (s *fakeShell) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.typed = append(s.typed, p...)
	s.mu.Unlock()
	return s.out.Write(p)
}

func (s *fakeShell) Resize(_ context.Context, cols, rows int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("closed")
	}
	s.size = append(s.size, [2]int{cols, rows})
	return nil
}

func (s *fakeShell) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.out.CloseWithError(io.EOF)
	return nil
}

func (s *fakeShell) sizes() [][2]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.size)
}

func (s *fakeShell) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

var _ Lab = (*fakeLab)(nil)
