package lab

// The steps of Up that deploy the tutorial's images and stacks on the swarm.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/stack"
)

func (u *upContext) pushImages(ctx context.Context) error {
	return u.lab.PushImages(ctx, AppImages)
}

func (u *upContext) createOverlay(ctx context.Context) error {
	mgr, err := u.firstManager()
	if err != nil {
		return err
	}
	nets, err := mgr.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", OverlayNetwork))})
	if err != nil {
		return err
	}
	for _, n := range nets {
		if n.Name == OverlayNetwork {
			u.status.Progress("exists")
			return nil
		}
	}
	_, err = mgr.NetworkCreate(ctx, OverlayNetwork, network.CreateOptions{Driver: "overlay", Attachable: true})
	return err
}

// deploy runs `docker stack deploy` on the manager, as the tutorial does,
// then waits for the stack's services to converge.
func (u *upContext) deploy(ctx context.Context, name, file string) error {
	data, err := os.ReadFile(filepath.Join(u.stackDir, file))
	if err != nil {
		return fmt.Errorf("read stack file: %w", err)
	}
	if err := stack.Check(file, data); err != nil {
		return err
	}
	mid := u.containerOf(u.lab.Config.Nodes()[0].Name)
	if u.ipvs == nil { // once per run, before the first stack
		has, err := u.hasIPVS(ctx)
		if err != nil {
			return err
		}
		if !has {
			u.status.Infof("this kernel has no IPVS, so swarm's service VIPs and routing mesh do not work: stacks are deployed with endpoint_mode dnsrr and host-mode ports (%s explains)", u.lab.Config.Cmd("doctor"))
		}
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
		return err
	}
	mgr, err := u.firstManager()
	if err != nil {
		return err
	}
	return WaitStack(ctx, mgr, name, StackPatience, u.status.Progress)
}

// hasIPVS asks, once per run, whether the nodes' kernel can do IPVS.
func (u *upContext) hasIPVS(ctx context.Context) (bool, error) {
	if u.ipvs != nil {
		return *u.ipvs, nil
	}
	img := "" // DetectIPVS builds the base image when this run did not
	if u.binSum != "" {
		img = BaseImage(u.binSum)
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
