package lab

import (
	"context"

	"github.com/docker/docker/api/types/container"

	"github.com/swarmlab/swarmlab/internal/docker"
)

// ProbeInit reports whether the engine can run img under its init
// (docker-init, a tini), by starting a throwaway container with one. A node
// runs dockerd; as PID 1 dockerd never reaps the containerd-shim processes
// orphaned to it, and every task that ends leaves one defunct. Docker
// Desktop and Debian's docker.io ship docker-init; some engines do not.
func ProbeInit(ctx context.Context, e docker.Engine, img, labName string) bool {
	yes := true
	c, err := e.ContainerCreate(ctx, &container.Config{Image: img, Entrypoint: []string{"true"}, Labels: map[string]string{LabelLab + ".probe": labName}},
		&container.HostConfig{Init: &yes, NetworkMode: "none"}, nil, nil, "")
	if err != nil {
		return false
	}
	defer e.ContainerRemove(context.WithoutCancel(ctx), c.ID, container.RemoveOptions{Force: true})
	return e.ContainerStart(ctx, c.ID, container.StartOptions{}) == nil
}
