package up

// The steps of Run that deploy the tutorial's images and stacks on the swarm.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"golang.org/x/sync/errgroup"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/stack"
)

func (u *upContext) pushImages(ctx context.Context) error {
	return u.lab.PushImages(ctx, u.ep.Ports.Registry, lab.AppImages)
}

// startPrePull pulls the app images on every node in the background while
// the swarm forms, so that the stacks' tasks find them there: a task whose
// image, pinned by digest as stack deploy pins it, is on its node skips the
// pull. It is only a head start: when a pull fails, the task pulls again,
// so deployAll waits for it (waitPrePull) but never fails on it.
func (u *upContext) startPrePull(ctx context.Context) error {
	done := make(chan struct{})
	u.prePulled = done
	var nodes []string
	for _, n := range u.lab.Config.Nodes() {
		nodes = append(nodes, u.containerOf(n.Name))
	}
	go func() {
		defer close(done)
		var g errgroup.Group
		for _, id := range nodes {
			g.Go(func() error { return u.lab.PullOnNode(ctx, id, lab.AppImages) })
		}
		if err := g.Wait(); err != nil {
			u.lab.Log.Warn("pulling the app images ahead of the stacks", "err", err)
		}
	}()
	u.status.Progress("in the background")
	return nil
}

// waitPrePull waits for the pulls startPrePull began, if any.
func (u *upContext) waitPrePull(ctx context.Context) {
	if u.prePulled == nil {
		return
	}
	select {
	case <-u.prePulled:
		return
	default:
	}
	u.status.Progress("the nodes are still pulling the images")
	select {
	case <-u.prePulled:
	case <-ctx.Done():
	}
}

func (u *upContext) createOverlay(ctx context.Context) error {
	mgr, err := u.firstManager()
	if err != nil {
		return err
	}
	nets, err := mgr.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", lab.OverlayNetwork))})
	if err != nil {
		return err
	}
	for _, n := range nets {
		if n.Name == lab.OverlayNetwork {
			u.status.Progress("exists")
			return nil
		}
	}
	_, err = mgr.NetworkCreate(ctx, lab.OverlayNetwork, network.CreateOptions{Driver: "overlay", Attachable: true})
	return err
}

// deploy runs `docker stack deploy` on the manager, as the tutorial does,
// then waits for the stack's services to converge.
func (u *upContext) deploy(ctx context.Context, name, file string) error {
	if err := u.startDeploy(ctx, name, file); err != nil {
		return err
	}
	return u.waitDeployed(ctx, name)
}

// deployAll starts every stack's deploy at once: their tasks run on
// different nodes (the demo on the workers, the rest on the managers) and
// pull their images from the registry in parallel, so that waiting for
// each one in turn (waitDeployed) only waits for the slowest.
func (u *upContext) deployAll(ctx context.Context) error {
	// What a deploy sets up once per run, set up before the deploys share it.
	if _, err := u.firstManager(); err != nil {
		return err
	}
	if err := u.checkIPVS(ctx); err != nil {
		return err
	}
	u.waitPrePull(ctx)
	var g errgroup.Group
	for _, s := range stack.Stacks {
		g.Go(func() error { return u.startDeploy(ctx, s.Name, s.File) })
	}
	return g.Wait()
}

// checkIPVS asks, once per run and before the first stack, whether the
// nodes' kernel has IPVS, and says what a kernel without it changes.
func (u *upContext) checkIPVS(ctx context.Context) error {
	if u.ipvs != nil {
		return nil
	}
	has, err := u.hasIPVS(ctx)
	if err != nil {
		return err
	}
	if !has {
		u.status.Infof("this kernel has no IPVS, so swarm's service VIPs and routing mesh do not work: stacks are deployed with endpoint_mode dnsrr and host-mode ports (%s explains)", u.lab.Config.Cmd("doctor"))
	}
	return nil
}

// waitDeployed waits for a deployed stack's services to converge.
func (u *upContext) waitDeployed(ctx context.Context, name string) error {
	mgr, err := u.firstManager()
	if err != nil {
		return err
	}
	return lab.WaitStack(ctx, mgr, name, lab.StackPatience, u.status.Progress)
}

// startDeploy runs `docker stack deploy` on the manager, as the tutorial does.
func (u *upContext) startDeploy(ctx context.Context, name, file string) error {
	data, err := os.ReadFile(filepath.Join(u.stackDir, file))
	if err != nil {
		return fmt.Errorf("read stack file: %w", err)
	}
	if err := stack.Check(file, data); err != nil {
		return err
	}
	mid := u.containerOf(u.lab.Config.Nodes()[0].Name)
	if err := u.checkIPVS(ctx); err != nil {
		return err
	}
	cmd := []string{"docker", "stack", "deploy", "-c", "/stack/" + file, name}
	var stdin io.Reader
	if !*u.ipvs {
		adapted, err := stack.AdaptNoIPVS(data)
		if err != nil {
			return err
		}
		cmd[4], stdin = "-", bytes.NewReader(adapted)
	}
	res, err := docker.Exec(ctx, u.engine, mid, cmd, stdin)
	if err != nil {
		return err
	}
	if err := res.Err(cmd); err != nil {
		return fmt.Errorf("stack %s: %w", name, err)
	}
	return nil
}

// hasIPVS asks, once per run, whether the nodes' kernel can do IPVS.
func (u *upContext) hasIPVS(ctx context.Context) (bool, error) {
	if u.ipvs != nil {
		return *u.ipvs, nil
	}
	img := "" // DetectIPVS builds the base image when this run did not
	if u.binSum != "" {
		img = lab.BaseImage(u.binSum)
	}
	chk, err := u.lab.DetectIPVS(ctx, img, u.containerOf(u.lab.Config.Nodes()[0].Name))
	if err != nil {
		return false, err
	}
	u.ipvs = &chk.Has
	if chk.Note != "" {
		u.status.Infof("IPVS: %s", chk.Note)
	}
	return chk.Has, nil
}
