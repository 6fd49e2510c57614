package window

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/web"
)

// Node is one of the lab's nodes, as the page lists them.
type Node struct {
	Name    string `json:"name"`    // manager, worker01, ...
	Role    string `json:"role"`    // manager or worker
	Running bool   `json:"running"` // its container runs
}

// Lab is the lab as the window sees it: its nodes, and a shell in one.
type Lab interface {
	// Nodes lists the lab's nodes, managers first, each group by name. It
	// lists only node containers: never the registry, the edge or the host.
	Nodes(ctx context.Context) ([]Node, error)
	// Shell starts a shell with a terminal of cols x rows in a running node
	// that Nodes lists. It ends when the node stops or the shell exits.
	Shell(ctx context.Context, node string, cols, rows int) (Shell, error)
}

// Shell is a terminal in a node: Read returns what the terminal shows,
// Write types keys.
type Shell interface {
	io.ReadWriter
	// Resize tells the terminal its new size.
	Resize(ctx context.Context, cols, rows int) error
	// Close ends the shell (a hangup, as when a terminal window closes) and
	// its connection. It may be called more than once.
	Close() error
}

// EngineLab is Lab on a real lab, through the Engine API's exec with a TTY:
// no pty library and no docker CLI, so it works the same with Docker
// Desktop on Windows and macOS.
type EngineLab struct{ Lab *lab.Lab }

// Nodes lists the lab's node containers.
func (e EngineLab) Nodes(ctx context.Context) ([]Node, error) {
	inv, err := e.Lab.Inventory(ctx)
	if err != nil {
		return nil, err
	}
	var nodes []Node
	for name, c := range inv.Containers {
		role := c.Labels[lab.LabelRole]
		if role != lab.RoleManager && role != lab.RoleWorker {
			continue
		}
		nodes = append(nodes, Node{Name: name, Role: role, Running: inv.Running(name)})
	}
	SortNodes(nodes)
	return nodes, nil
}

// SortNodes puts managers first, then workers, each by name.
func SortNodes(nodes []Node) {
	sort.Slice(nodes, func(i, j int) bool {
		a, b := nodes[i], nodes[j]
		if (a.Role == lab.RoleManager) != (b.Role == lab.RoleManager) {
			return a.Role == lab.RoleManager
		}
		return a.Name < b.Name
	})
}

// shellScript starts the node's bash (sh when it has none) and notes its
// PID, so that Close can hang it up: the engine keeps an exec running after
// its client goes away.
const shellScript = `echo $$ >/tmp/swarmlab-tty-%s.pid; command -v bash >/dev/null 2>&1 && exec bash; exec sh`

// Shell starts a shell in a node container found by name in the lab's
// inventory.
func (e EngineLab) Shell(ctx context.Context, node string, cols, rows int) (Shell, error) {
	inv, err := e.Lab.Inventory(ctx)
	if err != nil {
		return nil, err
	}
	c, ok := inv.Containers[node]
	role := c.Labels[lab.LabelRole]
	if !ok || (role != lab.RoleManager && role != lab.RoleWorker) {
		return nil, fmt.Errorf("lab %q has no node %q", e.Lab.Config.Name, node)
	}
	if !inv.Running(node) {
		return nil, fmt.Errorf("%s is not running", node)
	}
	tag := web.NewSecret()[:16]
	size := &[2]uint{uint(rows), uint(cols)}
	created, err := e.Lab.Engine.ContainerExecCreate(ctx, c.ID, container.ExecOptions{
		Cmd: []string{"sh", "-c", fmt.Sprintf(shellScript, tag)}, Tty: true,
		AttachStdin: true, AttachStdout: true, AttachStderr: true,
		// UTF-8, so that bash's line editor takes Japanese input as
		// characters rather than bytes.
		Env:         []string{"TERM=xterm-256color", "LANG=C.UTF-8", "LC_ALL=C.UTF-8"},
		ConsoleSize: size,
	})
	if err != nil {
		return nil, fmt.Errorf("shell in %s: %w", node, err)
	}
	resp, err := e.Lab.Engine.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{Tty: true, ConsoleSize: size})
	if err != nil {
		return nil, fmt.Errorf("shell in %s: %w", node, err)
	}
	return &execShell{engine: e.Lab.Engine, container: c.ID, exec: created.ID, tag: tag, conn: resp.Conn, r: resp.Reader}, nil
}

type execShell struct {
	engine    docker.Engine
	container string
	exec      string
	tag       string
	conn      net.Conn
	r         io.Reader
	once      sync.Once
}

func (s *execShell) Read(p []byte) (int, error)  { return s.r.Read(p) }
func (s *execShell) Write(p []byte) (int, error) { return s.conn.Write(p) }

func (s *execShell) Resize(ctx context.Context, cols, rows int) error {
	return s.engine.ContainerExecResize(ctx, s.exec, container.ResizeOptions{Width: uint(cols), Height: uint(rows)})
}

func (s *execShell) Close() error {
	var err error
	s.once.Do(func() {
		err = s.conn.Close()
		// Hang the shell up, as a closed terminal window does; a stopped
		// node has nothing left to hang up.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		pid := "/tmp/swarmlab-tty-" + s.tag + ".pid"
		_, herr := docker.Exec(ctx, s.engine, s.container, []string{"sh", "-c", "kill -HUP $(cat " + pid + ") 2>/dev/null; rm -f " + pid}, nil)
		if herr != nil && !isGone(herr) {
			err = errors.Join(err, herr)
		}
	})
	return err
}

// isGone reports an exec refused because its container stopped or went.
func isGone(err error) bool {
	s := err.Error()
	return strings.Contains(s, "is not running") || strings.Contains(s, "No such container") || strings.Contains(s, "is restarting")
}

var _ Lab = EngineLab{}
