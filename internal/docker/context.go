package docker

// Reaching an engine the way the docker CLI does: DOCKER_HOST, else the
// current context (Docker Desktop makes one, desktop-linux, whose socket may
// be the only one), and any named context for 'swarmlab deploy --context'.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/docker/docker/client"

	"github.com/swarmlab/swarmlab/internal/dockerconfig"
)

// Connect returns a client for the host engine, configured as the docker
// CLI is: DOCKER_HOST and friends when set, else the current context.
func Connect() (*client.Client, error) {
	if os.Getenv("DOCKER_HOST") == "" {
		if name := dockerconfig.CurrentContext(dockerconfig.Dir()); name != "default" {
			return ConnectContext(name)
		}
	}
	return client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
}

// ConnectContext returns a client for the engine behind a docker context,
// read from the docker CLI's context store. "default" is DOCKER_HOST or the
// platform's socket, as for the docker CLI.
func ConnectContext(name string) (*client.Client, error) {
	if name == "default" {
		return client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	}
	ep, err := dockerconfig.ContextEndpoint(dockerconfig.Dir(), name)
	if err != nil {
		return nil, err
	}
	opts := []client.Opt{client.WithAPIVersionNegotiation()}
	u, err := url.Parse(ep.Host)
	if err != nil {
		return nil, fmt.Errorf("context %q: host %q: %w", name, ep.Host, err)
	}
	switch {
	case u.Scheme == "ssh":
		// As the docker CLI: ssh to the host and run dial-stdio there.
		opts = append(opts, client.WithHost("http://docker.example.com"), client.WithDialContext(func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialCommand(ctx, "ssh", sshArgs(u)...)
		}))
	case ep.TLSDir != "" || ep.SkipTLSVerify:
		cfg, err := tlsConfig(ep)
		if err != nil {
			return nil, fmt.Errorf("context %q: %w", name, err)
		}
		opts = append(opts, client.WithHTTPClient(&http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}), client.WithHost(ep.Host))
	default:
		opts = append(opts, client.WithHost(ep.Host))
	}
	return client.NewClientWithOpts(opts...)
}

// sshArgs are ssh's arguments for ssh://[USER@]HOST[:PORT].
func sshArgs(u *url.URL) []string {
	var args []string
	if u.User != nil {
		args = append(args, "-l", u.User.Username())
	}
	if p := u.Port(); p != "" {
		args = append(args, "-p", p)
	}
	return append(args, "--", u.Hostname(), "docker", "system", "dial-stdio")
}

func tlsConfig(ep dockerconfig.Endpoint) (*tls.Config, error) {
	cfg := &tls.Config{InsecureSkipVerify: ep.SkipTLSVerify, MinVersion: tls.VersionTLS12}
	if ep.TLSDir == "" {
		return cfg, nil
	}
	if ca, err := os.ReadFile(filepath.Join(ep.TLSDir, "ca.pem")); err == nil {
		cfg.RootCAs = x509.NewCertPool()
		cfg.RootCAs.AppendCertsFromPEM(ca)
	}
	if _, err := os.Stat(filepath.Join(ep.TLSDir, "cert.pem")); err == nil {
		cert, err := tls.LoadX509KeyPair(filepath.Join(ep.TLSDir, "cert.pem"), filepath.Join(ep.TLSDir, "key.pem"))
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// dialCommand is a connection over a command's stdin and stdout.
func dialCommand(_ context.Context, name string, args ...string) (net.Conn, error) {
	cmd := exec.Command(name, args...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr // ssh asks and complains there
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &cmdConn{cmd: cmd, in: in, out: out}, nil
}

type cmdConn struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out io.ReadCloser
}

func (c *cmdConn) Read(p []byte) (int, error)  { return c.out.Read(p) }
func (c *cmdConn) Write(p []byte) (int, error) { return c.in.Write(p) }
func (c *cmdConn) CloseWrite() error           { return c.in.Close() }
func (c *cmdConn) Close() error {
	c.in.Close()
	c.out.Close()
	if c.cmd.Process != nil {
		c.cmd.Process.Kill()
	}
	return c.cmd.Wait()
}
func (c *cmdConn) LocalAddr() net.Addr                { return cmdAddr{} }
func (c *cmdConn) RemoteAddr() net.Addr               { return cmdAddr{} }
func (c *cmdConn) SetDeadline(t time.Time) error      { return nil }
func (c *cmdConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *cmdConn) SetWriteDeadline(t time.Time) error { return nil }

type cmdAddr struct{}

func (cmdAddr) Network() string { return "cmd" }
func (cmdAddr) String() string  { return "cmd" }
