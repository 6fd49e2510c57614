package realswarm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// Swarm is a manager's engine as Deploy uses it.
type Swarm interface {
	docker.Swarm
	ServiceInspectWithRaw(ctx context.Context, serviceID string, opts swarm.ServiceInspectOptions) (swarm.Service, []byte, error)
	ServiceCreate(ctx context.Context, spec swarm.ServiceSpec, opts swarm.ServiceCreateOptions) (swarm.ServiceCreateResponse, error)
	ServiceUpdate(ctx context.Context, id string, version swarm.Version, spec swarm.ServiceSpec, opts swarm.ServiceUpdateOptions) (swarm.ServiceUpdateResponse, error)
}

// DeployOptions are the flags of 'swarmlab deploy'. Ports of 0 are not
// published.
type DeployOptions struct {
	Images  string // REGISTRY/PREFIX the nodes pull ROLE:Tag from
	Tag     string
	Network string // overlay network shared with the services the ingress routes to; created if missing
	// PublishMode is "host" (each node listens itself; the client's address
	// is kept; works without IPVS) or "ingress" (swarm's routing mesh).
	PublishMode    string
	IngressPort    int // to the ingress's 80
	StatsPort      int // to the ingress's 1936
	VisualizerPort int // to the visualizer's 8080
	// Placement constraints, such as node.role == manager: both read the
	// swarm through a manager's Docker socket.
	IngressConstraints, VisualizerConstraints []string
	StatsAuth                                 string // user:password of the stats page; made up when empty
	RegistryAuth                              string // encoded login the nodes pull with; "" for none
	Progress                                  func(string)
}

// Validate reports what cannot work before anything is changed.
func (o DeployOptions) Validate() error {
	if o.PublishMode != "host" && o.PublishMode != "ingress" {
		return fmt.Errorf("publish mode %q: use host or ingress", o.PublishMode)
	}
	if o.Images == "" || o.Tag == "" {
		return fmt.Errorf("give the images' REGISTRY/PREFIX and tag, as pushed by 'swarmlab images push'")
	}
	if o.StatsAuth != "" && !strings.Contains(o.StatsAuth, ":") {
		return fmt.Errorf("stats auth %q: write user:password", o.StatsAuth)
	}
	return nil
}

// Deploy creates or updates the ingress and visualizer services on the
// swarm and waits until they run. It returns the stats login it set.
func Deploy(ctx context.Context, sw Swarm, o DeployOptions) (string, error) {
	if err := o.Validate(); err != nil {
		return "", cli.WithHint(err, "see 'swarmlab deploy --help'")
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	info, err := sw.Info(ctx)
	if err != nil {
		return "", err
	}
	if !info.Swarm.ControlAvailable {
		return "", cli.WithHint(fmt.Errorf("the engine behind the context is not a swarm manager (swarm state %q)", info.Swarm.LocalNodeState), "point the context at a manager of the swarm ('docker node ls' works there)")
	}
	if o.StatsAuth == "" {
		o.StatsAuth = "stats:" + randomHex(8)
	}
	if err := ensureNetwork(ctx, sw, o.Network); err != nil {
		return "", err
	}
	for _, spec := range serviceSpecs(o) {
		progress(spec.Name)
		if err := apply(ctx, sw, spec, o.RegistryAuth); err != nil {
			return "", fmt.Errorf("deploy %s: %w", spec.Name, err)
		}
	}
	for _, r := range Roles {
		if err := lab.WaitStack(ctx, sw, r.Name, lab.StackPatience, progress); err != nil {
			return "", err
		}
	}
	return o.StatsAuth, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func ensureNetwork(ctx context.Context, sw Swarm, name string) error {
	nets, err := sw.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", name))})
	if err != nil {
		return err
	}
	for _, n := range nets {
		if n.Name == name {
			return nil
		}
	}
	_, err = sw.NetworkCreate(ctx, name, network.CreateOptions{Driver: "overlay", Attachable: true})
	return err
}

// apply creates the service, or updates it in place when it exists.
func apply(ctx context.Context, sw Swarm, spec swarm.ServiceSpec, auth string) error {
	cur, _, err := sw.ServiceInspectWithRaw(ctx, spec.Name, swarm.ServiceInspectOptions{})
	switch {
	case err == nil:
		_, err = sw.ServiceUpdate(ctx, cur.ID, cur.Version, spec, swarm.ServiceUpdateOptions{EncodedRegistryAuth: auth})
	case cerrdefs.IsNotFound(err):
		_, err = sw.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{EncodedRegistryAuth: auth})
	}
	return err
}
