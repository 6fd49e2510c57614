package docker

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// NodeClient returns an Engine API client for the dockerd inside a node
// container. Each connection is an exec of `docker system dial-stdio`, which
// the docker CLI also uses for ssh:// hosts, so no port of the node needs to
// be reachable from the host.
func NodeClient(e Engine, containerID string) (*client.Client, error) {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		return DialStdio(ctx, e, containerID)
	}
	// Few idle connections, closed soon: each one is a process in the node.
	return client.NewClientWithOpts(
		client.WithHost("http://"+containerID),
		client.WithHTTPClient(&http.Client{Transport: &http.Transport{DialContext: dial, MaxIdleConns: 4, IdleConnTimeout: 30 * time.Second}}),
		client.WithAPIVersionNegotiation(),
	)
}

// DialStdio opens a connection to the node's engine socket through
// `docker system dial-stdio` run inside the container.
func DialStdio(ctx context.Context, e Engine, containerID string) (net.Conn, error) {
	created, err := e.ContainerExecCreate(ctx, containerID, container.ExecOptions{
		Cmd: []string{"docker", "system", "dial-stdio"}, AttachStdin: true, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return nil, fmt.Errorf("dial the engine in %s: %w", containerID, err)
	}
	// The exec must outlive the dial's context: the connection is pooled.
	resp, err := e.ContainerExecAttach(context.WithoutCancel(ctx), created.ID, container.ExecAttachOptions{})
	if err != nil {
		return nil, fmt.Errorf("dial the engine in %s: %w", containerID, err)
	}
	return &stdioConn{resp: resp}, nil
}

// stdioConn is a net.Conn over an exec's hijacked stream. Without a TTY the
// engine frames stdout and stderr with an 8-byte header; Read strips the
// framing and drops stderr, Write passes bytes through to stdin.
type stdioConn struct {
	resp   types.HijackedResponse
	remain int // bytes left in the current stdout frame
}

func (c *stdioConn) Read(p []byte) (int, error) {
	for c.remain == 0 {
		var hdr [8]byte
		if _, err := io.ReadFull(c.resp.Reader, hdr[:]); err != nil {
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			return 0, err
		}
		size := int(binary.BigEndian.Uint32(hdr[4:]))
		if hdr[0] != 1 { // not stdout: skip it
			if _, err := io.CopyN(io.Discard, c.resp.Reader, int64(size)); err != nil {
				return 0, err
			}
			continue
		}
		c.remain = size
	}
	if len(p) > c.remain {
		p = p[:c.remain]
	}
	n, err := c.resp.Reader.Read(p)
	c.remain -= n
	return n, err
}

func (c *stdioConn) Write(p []byte) (int, error)        { return c.resp.Conn.Write(p) }
func (c *stdioConn) Close() error                       { c.resp.Close(); return nil }
func (c *stdioConn) CloseWrite() error                  { return c.resp.CloseWrite() }
func (c *stdioConn) LocalAddr() net.Addr                { return c.resp.Conn.LocalAddr() }
func (c *stdioConn) RemoteAddr() net.Addr               { return c.resp.Conn.RemoteAddr() }
func (c *stdioConn) SetDeadline(t time.Time) error      { return c.resp.Conn.SetDeadline(t) }
func (c *stdioConn) SetReadDeadline(t time.Time) error  { return c.resp.Conn.SetReadDeadline(t) }
func (c *stdioConn) SetWriteDeadline(t time.Time) error { return c.resp.Conn.SetWriteDeadline(t) }
