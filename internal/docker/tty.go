package docker

// A shell with a terminal through the Engine API alone: the same on every
// OS, with or without a docker CLI installed, and always on the engine
// swarmlab itself talks to.

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/docker/docker/api/types/container"
	"golang.org/x/term"

	"github.com/swarmlab/swarmlab/internal/cli"
)

// execTTY runs argv in a container with a terminal: the local one in raw
// mode (on Windows that also makes the console send escape sequences for
// keys), the remote one resized as the local one is.
func execTTY(ctx context.Context, e Engine, containerID string, argv []string, in, out *os.File) (int, error) {
	size := func() *[2]uint {
		w, h, err := term.GetSize(int(out.Fd()))
		if err != nil {
			return nil
		}
		return &[2]uint{uint(h), uint(w)}
	}
	created, err := e.ContainerExecCreate(ctx, containerID, container.ExecOptions{
		Cmd: argv, Tty: true, AttachStdin: true, AttachStdout: true, AttachStderr: true,
		Env: []string{"TERM=xterm"}, ConsoleSize: size(),
	})
	if err != nil {
		return -1, err
	}
	resp, err := e.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{Tty: true, ConsoleSize: size()})
	if err != nil {
		return -1, err
	}
	defer resp.Close()
	cli.EnableVT(out)
	state, err := term.MakeRaw(int(in.Fd()))
	if err != nil {
		return -1, err
	}
	defer term.Restore(int(in.Fd()), state)

	done := make(chan struct{})
	defer close(done)
	go func() { // no SIGWINCH on Windows: follow the size by looking
		last := size()
		for {
			select {
			case <-done:
				return
			case <-time.After(250 * time.Millisecond):
			}
			if s := size(); s != nil && (last == nil || *s != *last) {
				last = s
				e.ContainerExecResize(ctx, created.ID, container.ResizeOptions{Height: s[0], Width: s[1]})
			}
		}
	}()
	go io.Copy(resp.Conn, in)
	if _, err := io.Copy(out, resp.Reader); err != nil {
		return -1, err
	}
	ins, err := e.ContainerExecInspect(ctx, created.ID)
	if err != nil {
		return -1, err
	}
	return ins.ExitCode, nil
}
