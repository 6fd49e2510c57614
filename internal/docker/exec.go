package docker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
	"golang.org/x/term"
)

// ExecResult is what a command run in a container left behind.
type ExecResult struct {
	ExitCode int
	Stdout   string
	Stderr   string
}

// Err turns a non-zero exit into an error that keeps the command's output,
// so the user sees why it failed.
func (r ExecResult) Err(cmd []string) error {
	if r.ExitCode == 0 {
		return nil
	}
	out := strings.TrimSpace(r.Stderr)
	if out == "" {
		out = strings.TrimSpace(r.Stdout)
	}
	return fmt.Errorf("%q exited with %d: %s", strings.Join(cmd, " "), r.ExitCode, out)
}

// Exec runs cmd in a running container and collects its output. stdin may be nil.
func Exec(ctx context.Context, e Engine, containerID string, cmd []string, stdin io.Reader) (ExecResult, error) {
	var stdout, stderr bytes.Buffer
	code, err := ExecStream(ctx, e, containerID, cmd, stdin, &stdout, &stderr)
	return ExecResult{ExitCode: code, Stdout: stdout.String(), Stderr: stderr.String()}, err
}

// ExecStream runs cmd in a running container, streaming its output, and
// returns its exit code.
func ExecStream(ctx context.Context, e Engine, containerID string, cmd []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	created, err := e.ContainerExecCreate(ctx, containerID, container.ExecOptions{
		Cmd: cmd, AttachStdin: stdin != nil, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return -1, fmt.Errorf("exec in %s: %w", containerID, err)
	}
	resp, err := e.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		return -1, fmt.Errorf("exec in %s: %w", containerID, err)
	}
	defer resp.Close()
	if stdin != nil {
		go func() {
			_, _ = io.Copy(resp.Conn, stdin)
			_ = resp.CloseWrite()
		}()
	}
	done := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(stdout, stderr, resp.Reader)
		done <- err
	}()
	select {
	case <-ctx.Done():
		return -1, ctx.Err()
	case err := <-done:
		if err != nil {
			return -1, fmt.Errorf("exec in %s: %w", containerID, err)
		}
	}
	ins, err := e.ContainerExecInspect(ctx, created.ID)
	if err != nil {
		return -1, fmt.Errorf("exec in %s: %w", containerID, err)
	}
	return ins.ExitCode, nil
}

// ExecInteractive runs argv in a container with the user's streams and
// returns its exit code: with a terminal when both are one (execTTY), else
// streamed, so that pipes and scripts work.
func ExecInteractive(ctx context.Context, e Engine, containerID string, argv []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	in, inOK := stdin.(*os.File)
	out, outOK := stdout.(*os.File)
	if inOK && outOK && term.IsTerminal(int(in.Fd())) && term.IsTerminal(int(out.Fd())) {
		return execTTY(ctx, e, containerID, argv, in, out)
	}
	return ExecStream(ctx, e, containerID, argv, stdin, stdout, stderr)
}

// Logs returns a stopped or running container's output.
func Logs(ctx context.Context, e Engine, containerID string) (string, error) {
	rc, err := e.ContainerLogs(ctx, containerID, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return "", err
	}
	defer rc.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, rc); err != nil {
		return "", err
	}
	return out.String(), nil
}
