package lab

// The lab's stacks and services, as up deploys them and as the other
// commands read them.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/stack"
)

// OverlayNetwork is the tutorial's network shared by its stacks.
const OverlayNetwork = "swtest_net"

// AdaptStackDeploy rewrites the arguments of a hand-typed 'docker stack
// deploy -c FILE NAME' for a kernel without IPVS: the file is read in the
// manager, adapted as up adapts its own, and fed on stdin. It returns the
// arguments unchanged, and a nil reader, when nothing needs adapting.
func (l *Lab) AdaptStackDeploy(ctx context.Context, managerID string, args []string) ([]string, io.Reader, error) {
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
	res, err := docker.Exec(ctx, l.Engine, managerID, []string{"cat", args[fileAt]}, nil)
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

// ServiceState is a service's running and desired task counts.
type ServiceState struct {
	Name      string
	Mode      string // replicated or global
	Image     string
	Running   int
	Desired   int
	OnManager int    // running tasks on managers
	LastError string // the newest task error, if any
	// OnTheWay counts the tasks that should run and do not yet, by state
	// (preparing: pulling the image).
	OnTheWay map[swarm.TaskState]int `json:"-"`
	// Updating: a rolling update (or its rollback) is under way, and the
	// counts above may be complete between two of its tasks.
	Updating bool `json:"-"`
}

// onTheWay are the states a task passes on its way to running, in order.
var onTheWay = []swarm.TaskState{
	swarm.TaskStateNew, swarm.TaskStatePending, swarm.TaskStateAssigned, swarm.TaskStateAccepted,
	swarm.TaskStateReady, swarm.TaskStatePreparing, swarm.TaskStateStarting,
}

// Way says where the tasks on their way are, as "1 preparing, 2 starting".
func (s ServiceState) Way() string {
	var parts []string
	for _, st := range onTheWay {
		if n := s.OnTheWay[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	return strings.Join(parts, ", ")
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
		if u := s.UpdateStatus; u != nil {
			st.Updating = u.State == swarm.UpdateStateUpdating || u.State == swarm.UpdateStateRollbackStarted
		}
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
			if t.DesiredState == swarm.TaskStateRunning && slices.Contains(onTheWay, t.Status.State) {
				if st.OnTheWay == nil {
					st.OnTheWay = map[swarm.TaskState]int{}
				}
				st.OnTheWay[t.Status.State]++
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
