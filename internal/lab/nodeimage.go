package lab

// The node image, built by up itself when docker:dind cannot be pulled, and
// the trial containers that learn what the engine grants the nodes (kept in
// the user's cache folder per engine and image).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"golang.org/x/sync/errgroup"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/nodeimage"
)

// LocalNodeImage is what 'swarmlab build node-image' makes, and what up
// builds by itself when the default image cannot be pulled.
const LocalNodeImage = nodeimage.DefaultTag

// NoNodeImageError means the default node image cannot be pulled and
// LocalNodeImage is not built: up builds it then (BuildNodeImageForUp).
type NoNodeImageError struct{ image, reason string }

func (e *NoNodeImageError) Error() string {
	return fmt.Sprintf("%s cannot be pulled (%s) and %s is not built", e.image, e.reason, LocalNodeImage)
}

// BuildNodeImage builds the node image from Debian packages where this
// machine can (Linux, root), installing debootstrap first when apt-get can;
// else it returns an error that says what to run.
func (l *Lab) BuildNodeImage(ctx context.Context, o nodeimage.Options) error {
	return l.buildNodeImage(ctx, o, "", l.Status.Progress)
}

func (l *Lab) buildNodeImage(ctx context.Context, o nodeimage.Options, why string, progress func(string)) error {
	if why == "" {
		why = "the node image is built here"
	}
	info, err := l.Engine.Info(ctx)
	if err != nil {
		return EngineError(err)
	}
	install, err := l.NodeHost(goArch(info.Architecture)).CanBuild(why)
	if err != nil {
		return err
	}
	if install {
		if err := nodeimage.InstallDebootstrap(ctx, progress); err != nil {
			return err
		}
	}
	return l.NodeBuild(ctx, l.Engine, o, progress)
}

// BuildNodeImageForUp is up's fallback: say why, build with progress shown
// in the step's line, and name the time it took.
func (l *Lab) BuildNodeImageForUp(ctx context.Context, missing *NoNodeImageError) error {
	why := missing.Error()
	l.Status.Infof("%s: building it from Debian packages (debootstrap, about a minute)", why)
	start := time.Now()
	if err := l.buildNodeImage(ctx, nodeimage.Options{}, why, l.Status.Progress); err != nil {
		return err
	}
	l.Status.Infof("built %s in %s", LocalNodeImage, time.Since(start).Round(time.Second))
	return nil
}

// TryPrivileged reports whether the engine can start a privileged
// container from img, by trying a throwaway one. Some engines (this
// project's CI among them) lack a capability in their bounding set, and
// privileged mode asks for all of them.
func TryPrivileged(ctx context.Context, e docker.Engine, img, labName string) (bool, error) {
	c, err := e.ContainerCreate(ctx, &container.Config{Image: img, Entrypoint: []string{"true"}, Labels: map[string]string{LabelLab + ".probe": labName}},
		&container.HostConfig{Privileged: true}, nil, nil, "")
	if err != nil {
		return false, fmt.Errorf("trial container: %w", err)
	}
	defer e.ContainerRemove(context.WithoutCancel(ctx), c.ID, container.RemoveOptions{Force: true})
	err = e.ContainerStart(ctx, c.ID, container.StartOptions{})
	if err == nil {
		return true, nil
	}
	msg := err.Error()
	if strings.Contains(msg, "operation not permitted") || strings.Contains(msg, "apply caps") {
		return false, nil
	}
	return false, fmt.Errorf("trial container: %w", err)
}

// TryInit reports whether the engine can run img under its init
// (docker-init, a tini), by starting a throwaway container with one. A node
// runs dockerd; as PID 1 dockerd never reaps the containerd-shim processes
// orphaned to it, and every task that ends leaves one defunct. Docker
// Desktop and Debian's docker.io ship docker-init; some engines do not.
func TryInit(ctx context.Context, e docker.Engine, img, labName string) bool {
	yes := true
	c, err := e.ContainerCreate(ctx, &container.Config{Image: img, Entrypoint: []string{"true"}, Labels: map[string]string{LabelLab + ".probe": labName}},
		&container.HostConfig{Init: &yes, NetworkMode: "none"}, nil, nil, "")
	if err != nil {
		return false
	}
	defer e.ContainerRemove(context.WithoutCancel(ctx), c.ID, container.RemoveOptions{Force: true})
	return e.ContainerStart(ctx, c.ID, container.StartOptions{}) == nil
}

// Trials is what an engine grants the nodes of one node image, learnt by
// trial containers (TryPrivileged, TryInit).
type Trials struct {
	Privileged bool `json:"privileged"`
	Init       bool `json:"init"`
}

// EngineTrials runs both trials at once, or takes them from the user's
// cache when this engine (its ID, version and security options) was tried
// with this image (its ID) before: they cost two container starts, a
// second or two of every up. The cache is only a cache: when it cannot be
// read or written, the trials run.
func EngineTrials(ctx context.Context, e docker.Engine, img, labName string) (Trials, error) {
	key := trialsKey(ctx, e, img)
	path := trialsPath()
	cached := map[string]Trials{}
	if key != "" && path != "" {
		if b, err := os.ReadFile(path); err == nil {
			_ = json.Unmarshal(b, &cached)
		}
		if t, ok := cached[key]; ok {
			return t, nil
		}
	}
	var t Trials
	var g errgroup.Group
	g.Go(func() (err error) {
		t.Privileged, err = TryPrivileged(ctx, e, img, labName)
		return err
	})
	g.Go(func() error {
		t.Init = TryInit(ctx, e, img, labName)
		return nil
	})
	if err := g.Wait(); err != nil {
		return t, err
	}
	if key != "" && path != "" {
		cached[key] = t
		if b, err := json.Marshal(cached); err == nil && os.MkdirAll(filepath.Dir(path), 0o755) == nil {
			_ = os.WriteFile(path, b, 0o644)
		}
	}
	return t, nil
}

// trialsKey names an engine and an image; "" when the engine has no ID.
func trialsKey(ctx context.Context, e docker.Engine, img string) string {
	info, err := e.Info(ctx)
	if err != nil || info.ID == "" {
		return ""
	}
	ins, err := e.ImageInspect(ctx, img)
	if err != nil {
		return ""
	}
	return strings.Join([]string{info.ID, info.ServerVersion, strings.Join(info.SecurityOptions, ","), ins.ID}, "|")
}

// trialsPath is the cache file of EngineTrials, "" when there is no cache
// folder.
func trialsPath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "swarmlab", "engine-trials.json")
}
