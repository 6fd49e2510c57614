package lab

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/stack"
)

// OverlayNetwork is the tutorial's network shared by its stacks.
const OverlayNetwork = "swtest_net"

func (r *upRun) pushImages(ctx context.Context) error {
	return r.PushImages(ctx, AppImages)
}

func (r *upRun) managerID() string { return r.inv.Containers[r.Config.Nodes()[0].Name].ID }

func (r *upRun) createOverlay(ctx context.Context) error {
	mgr, err := r.manager()
	if err != nil {
		return err
	}
	nets, err := mgr.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", OverlayNetwork))})
	if err != nil {
		return err
	}
	for _, n := range nets {
		if n.Name == OverlayNetwork {
			r.Status.Progress("exists")
			return nil
		}
	}
	_, err = mgr.NetworkCreate(ctx, OverlayNetwork, network.CreateOptions{Driver: "overlay", Attachable: true})
	return err
}

// HasIPVS reports whether the nodes' kernel has IPVS loaded, which swarm's
// service VIPs and ingress routing mesh need. All nodes share the engine's
// kernel. A stock kernel loads ip_vs on first use: DetectIPVS asks it.
func HasIPVS(ctx context.Context, e docker.Engine, containerID string) (bool, error) {
	res, err := docker.Exec(ctx, e, containerID, []string{"test", "-d", "/proc/sys/net/ipv4/vs"}, nil)
	if err != nil {
		return false, err
	}
	return res.ExitCode == 0, nil
}

// deploy runs `docker stack deploy` on the manager, as the tutorial does,
// then waits for the stack's services to converge.
func (r *upRun) deploy(ctx context.Context, name, file string) error {
	data, err := os.ReadFile(filepath.Join(r.stackDir, file))
	if err != nil {
		return fmt.Errorf("read stack file: %w", err)
	}
	if err := stack.Check(file, data); err != nil {
		return err
	}
	mid := r.managerID()
	if r.ipvs == nil { // once per run, before the first stack
		chk, err := r.DetectIPVS(ctx, BaseImage(r.binSum), mid)
		if err != nil {
			return err
		}
		has := chk.Has
		r.ipvs = &has
		if chk.Note != "" {
			r.Status.Infof("IPVS: %s", chk.Note)
		}
		if !has {
			r.Status.Infof("this kernel has no IPVS, so swarm's service VIPs and routing mesh do not work: stacks are deployed with endpoint_mode dnsrr and host-mode ports ('swarmlab doctor' explains)")
		}
	}
	cmd := []string{"docker", "stack", "deploy", "-c", "/stack/" + file, name}
	var stdin io.Reader
	if !*r.ipvs {
		adapted, err := stack.AdaptNoIPVS(data)
		if err != nil {
			return err
		}
		cmd[4], stdin = "-", bytes.NewReader(adapted)
	}
	res, err := docker.Exec(ctx, r.Engine, mid, cmd, stdin)
	if err != nil {
		return err
	}
	if err := res.Err(cmd); err != nil {
		return err
	}
	mgr, err := r.manager()
	if err != nil {
		return err
	}
	return WaitStack(ctx, mgr, name, 3*time.Minute, r.Status.Progress)
}

// ServiceState is a service's running and desired task counts.
type ServiceState struct {
	Name      string
	Mode      string // replicated or global
	Image     string
	Running   int
	Desired   int
	OnManager int    // running tasks on managers
	LastError string // the newest task error, if any
}

// Services reads the state of services, optionally those of one stack.
func Services(ctx context.Context, mgr docker.Swarm, stackName string) ([]ServiceState, error) {
	f := filters.NewArgs()
	if stackName != "" {
		f.Add("label", "com.docker.stack.namespace="+stackName)
	}
	svcs, err := mgr.ServiceList(ctx, swarm.ServiceListOptions{Filters: f})
	if err != nil {
		return nil, err
	}
	nodes, err := mgr.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, err
	}
	role := map[string]swarm.NodeRole{}
	for _, n := range nodes {
		role[n.ID] = n.Spec.Role
	}
	tasks, err := mgr.TaskList(ctx, swarm.TaskListOptions{})
	if err != nil {
		return nil, err
	}
	byService := map[string][]swarm.Task{}
	for _, t := range tasks {
		byService[t.ServiceID] = append(byService[t.ServiceID], t)
	}
	var out []ServiceState
	for _, s := range svcs {
		st := ServiceState{Name: s.Spec.Name, Image: shortImage(s.Spec.TaskTemplate.ContainerSpec.Image)}
		var newest time.Time
		desired := 0
		for _, t := range byService[s.ID] {
			if t.DesiredState == swarm.TaskStateRunning {
				desired++
			}
			if t.Status.State == swarm.TaskStateRunning && t.DesiredState == swarm.TaskStateRunning {
				st.Running++
				if role[t.NodeID] == swarm.NodeRoleManager {
					st.OnManager++
				}
			}
			if t.Status.Err != "" && t.Status.Timestamp.After(newest) {
				newest, st.LastError = t.Status.Timestamp, t.Status.Err
			}
		}
		switch {
		case s.Spec.Mode.Replicated != nil && s.Spec.Mode.Replicated.Replicas != nil:
			st.Mode, st.Desired = "replicated", int(*s.Spec.Mode.Replicated.Replicas)
		default:
			st.Mode, st.Desired = "global", desired
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func shortImage(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	return ref
}

// WaitStack waits until every service of a stack runs its desired tasks.
func WaitStack(ctx context.Context, mgr docker.Swarm, name string, timeout time.Duration, progress func(string)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last []ServiceState
	err := poll(ctx, 300*time.Millisecond, func() (bool, error) {
		svcs, err := Services(ctx, mgr, name)
		if err != nil {
			return false, err
		}
		last = svcs
		var parts []string
		done := len(svcs) > 0
		for _, s := range svcs {
			parts = append(parts, fmt.Sprintf("%s %d/%d", s.Name, s.Running, s.Desired))
			if s.Running < s.Desired || s.Desired == 0 {
				done = false
			}
		}
		progress(strings.Join(parts, ", "))
		return done, nil
	})
	if err != nil {
		var why []string
		for _, s := range last {
			if s.Running < s.Desired && s.LastError != "" {
				why = append(why, s.Name+": "+s.LastError)
			}
		}
		if len(why) > 0 {
			return fmt.Errorf("stack %s did not converge: %s", name, strings.Join(why, "; "))
		}
		return fmt.Errorf("stack %s did not converge: %w", name, err)
	}
	return nil
}

func (r *upRun) checkIngress(ctx context.Context) error {
	if r.Config.Ports.Ingress == 0 {
		return nil
	}
	url := r.Config.URL(r.Config.Ports.Ingress) + "/"
	r.Status.Progress(url)
	return waitHTTP(ctx, url, time.Minute)
}

// URL is the host URL of a published port.
func (c Config) URL(port int) string {
	host := c.Bind
	if host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(port))
}

// waitHTTP waits until url answers 200.
func waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastErr error
	err := poll(ctx, 200*time.Millisecond, func() (bool, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := httpClient.Do(req)
		if err != nil {
			lastErr = err
			return false, nil
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			lastErr = fmt.Errorf("%s answered %s", url, resp.Status)
			return false, nil
		}
		return true, nil
	})
	if err != nil && lastErr != nil {
		return fmt.Errorf("%s did not answer: %w", url, lastErr)
	}
	return err
}

// AdaptStackDeploy rewrites the arguments of a hand-typed 'docker stack
// deploy -c FILE NAME' for a kernel without IPVS: the file is read in the
// manager, adapted as up adapts its own, and fed on stdin. It returns the
// arguments unchanged, and a nil reader, when nothing needs adapting.
func (l *Lab) AdaptStackDeploy(ctx context.Context, managerID string, args []string) ([]string, io.Reader, error) {
	e := l.Engine
	if len(args) < 2 || args[0] != "stack" || (args[1] != "deploy" && args[1] != "up") {
		return args, nil, nil
	}
	fileAt := -1
	for i := 2; i < len(args); i++ {
		a := args[i]
		if (a == "-c" || a == "--compose-file") && i+1 < len(args) {
			if fileAt >= 0 {
				return args, nil, nil // several files: leave them to the CLI
			}
			fileAt = i + 1
		}
	}
	if fileAt < 0 || args[fileAt] == "-" {
		return args, nil, nil
	}
	chk, err := l.DetectIPVS(ctx, "", managerID)
	if err != nil || chk.Has {
		return args, nil, err
	}
	res, err := docker.Exec(ctx, e, managerID, []string{"cat", args[fileAt]}, nil)
	if err != nil {
		return args, nil, err
	}
	if res.ExitCode != 0 {
		return args, nil, nil // let the CLI report the missing file in its words
	}
	adapted, err := stack.AdaptNoIPVS([]byte(res.Stdout))
	if err != nil {
		return args, nil, nil
	}
	out := append([]string(nil), args...)
	out[fileAt] = "-"
	return out, bytes.NewReader(adapted), nil
}
