//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/regclient"
)

// TestDist runs what a learner downloads: the linux/amd64 release archive
// made by 'make dist'. Its CLI carries no servers, so the lab's images are
// made of the swarmlab-server it embeds (the path every Docker Desktop user
// takes) and must pass verify. Then the same lab stands in for a real
// swarm: 'images push' sends the ingress and visualizer, for both
// architectures, to the lab registry, and 'deploy --context' replaces the
// lab's own ingress and visualizer with them through a Docker context.
func TestDist(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	start := time.Now()
	build := exec.Command("bash", "scripts/dist.sh")
	build.Dir = repo
	build.Env = append(os.Environ(), "TARGETS=linux/amd64", "DIST="+dir, "VERSION=e2e")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("dist: %v\n%s", err, out)
	}
	t.Logf("dist for linux/amd64 in %s", time.Since(start).Round(time.Second))
	run(t, dir, "sha256sum", "-c", "SHA256SUMS")
	run(t, dir, "tar", "xzf", "swarmlab_e2e_linux_amd64.tar.gz")
	exe := filepath.Join(dir, "swarmlab_e2e_linux_amd64", "swarmlab")
	if help := run(t, dir, exe, "--help"); strings.Contains(help, "Servers run inside") {
		t.Fatalf("the release CLI carries the servers:\n%s", help)
	}

	// A lab of its own, from a folder without ./stack, as after unpacking.
	name, p := "dist", map[string]int{"ingress": 28000, "visualizer": 29000, "stats": 21936, "registry": 25000}
	lab := func(args ...string) string {
		t.Helper()
		full := append([]string{"--name", name}, args...)
		return run(t, dir, exe, full...)
	}
	exec.Command(exe, "--name", name, "down", "--purge").Run()
	t.Cleanup(func() { exec.Command(exe, "--name", name, "down", "--purge").Run() })
	start = time.Now()
	out := lab("up", "--ingress-port", fmt.Sprint(p["ingress"]), "--visualizer-port", fmt.Sprint(p["visualizer"]),
		"--stats-port", fmt.Sprint(p["stats"]), "--registry-port", fmt.Sprint(p["registry"]))
	save("dist-up.log", out)
	t.Logf("up from the archive in %s", time.Since(start).Round(time.Second))
	contains(t, lab("verify"), "All 7 checks passed.")

	// The registry's image runs swarmlab-server: the servers, not the CLI.
	id := strings.TrimSpace(run(t, dir, "docker", "inspect", "--format", "{{.Image}}", name+"-registry"))
	inImage := run(t, dir, "docker", "run", "--rm", "--entrypoint", "/swarmlab", id, "--help")
	if !strings.Contains(inImage, "Servers run inside") || strings.Contains(inImage, "verify") {
		t.Fatalf("the lab's images do not run swarmlab-server:\n%s", inImage)
	}

	// 'shell' gets a terminal from the Engine API itself, as on Windows
	// without a docker CLI; script(1) gives it one, and the node's exit
	// status comes back as swarmlab's.
	t.Run("ShellWithTTY", func(t *testing.T) {
		cmd := exec.Command("script", "-qec", exe+" --name "+name+" shell manager", "/dev/null")
		cmd.Stdin = strings.NewReader("tty; hostname; exit 3\n")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Fatalf("shell: %v, want exit status 3\n%s", err, out)
		}
		contains(t, string(out), "/dev/pts/")
		contains(t, string(out), "manager")
	})

	t.Run("ImagesPushMultiArch", func(t *testing.T) {
		out := lab("images", "push", fmt.Sprintf("127.0.0.1:%d/swarmlab", p["registry"]), "--tag", "e2e")
		contains(t, out, "linux/amd64,linux/arm64")
		c := &regclient.Client{BaseURL: fmt.Sprintf("127.0.0.1:%d", p["registry"])}
		for _, role := range []string{"ingress", "visualizer"} {
			plats, mt, err := c.Platforms(ctx, "swarmlab/"+role, "e2e")
			if err != nil || mt != "application/vnd.oci.image.index.v1+json" || fmt.Sprint(plats) != "[linux/amd64 linux/arm64]" {
				t.Fatalf("%s: %s %v %v", role, mt, plats, err)
			}
		}
	})

	t.Run("DeployThroughContext", func(t *testing.T) {
		cfgDir := filepath.Join(dir, "docker-config")
		sock := forwardToManager(t, ctx, name+"-manager", filepath.Join(dir, "manager.sock"))
		mkctx := exec.Command("docker", "context", "create", "distlab", "--docker", "host=unix://"+sock)
		mkctx.Env = append(os.Environ(), "DOCKER_CONFIG="+cfgDir)
		if out, err := mkctx.CombinedOutput(); err != nil {
			t.Fatalf("docker context create: %v\n%s", err, out)
		}
		// Make room: the lab's own ingress and visualizer hold the ports.
		lab("docker", "stack", "rm", "ingress", "visualizer")
		waitFor(t, 60*time.Second, "the lab's stacks to go", func() bool {
			return !strings.Contains(lab("docker", "service", "ls", "--format", "{{.Name}}"), "ingress_haproxy") &&
				!strings.Contains(lab("docker", "ps", "--format", "{{.Names}}"), "ingress_haproxy")
		})
		deploy := exec.Command(exe, "deploy", "--context", "distlab", "--images", "registry:5000/swarmlab", "--tag", "e2e",
			"--network", "swtest_net", "--stats-auth", "admin:secret")
		deploy.Env = append(os.Environ(), "DOCKER_CONFIG="+cfgDir)
		out, err := deploy.CombinedOutput()
		save("dist-deploy.log", string(out))
		if err != nil {
			t.Fatalf("deploy --context: %v\n%s", err, out)
		}
		services := lab("docker", "stack", "services", "ingress")
		contains(t, services, "registry:5000/swarmlab/ingress:e2e")
		waitFor(t, 60*time.Second, "the deployed ingress to route to the app", func() bool {
			resp, err := http.Get(url(p["ingress"], "/"))
			if err != nil {
				return false
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return strings.Contains(string(b), "The API service is running")
		})
		code, body := get(t, url(p["visualizer"], "/"))
		if code != 200 || !strings.Contains(body, "<html") {
			t.Fatalf("visualizer page: %d %.200q", code, body)
		}
		req, _ := http.NewRequest(http.MethodGet, url(p["stats"], "/"), nil)
		req.SetBasicAuth("admin", "secret")
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("stats with the deployed login: %v %v", resp, err)
		}
	})
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); !ok(); time.Sleep(time.Second) {
		if time.Now().After(end) {
			t.Fatalf("waited %s for %s", limit, what)
		}
	}
}

// forwardToManager serves a unix socket whose connections reach the
// container's engine through 'docker system dial-stdio': a Docker context
// for a lab's manager, with no port opened.
func forwardToManager(t *testing.T, ctx context.Context, container, path string) string {
	t.Helper()
	eng, err := docker.Connect()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close(); eng.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := docker.DialStdio(ctx, eng, container)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { io.Copy(up, c); up.(interface{ CloseWrite() error }).CloseWrite() }()
				io.Copy(c, up)
			}()
		}
	}()
	return path
}
