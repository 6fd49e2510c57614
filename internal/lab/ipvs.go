package lab

// Whether the engine's kernel can do IPVS, which swarm's service VIPs and
// ingress routing mesh need: up deploys the stacks unchanged where it can.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/swarmlab/swarmlab/internal/docker"
	"github.com/swarmlab/swarmlab/internal/kernel"
)

// IPVSCheck says whether the engine's kernel can do IPVS, and how that was found.
type IPVSCheck struct {
	Has   bool
	Asked bool   // the kernel answered the check; otherwise /proc was read
	Note  string // why the check's answer is missing, when it is
}

// procHasIPVS reports whether a node's /proc shows IPVS loaded. All nodes
// share the engine's kernel; one that has not loaded ip_vs yet says no here.
func procHasIPVS(ctx context.Context, e docker.Engine, containerID string) (bool, error) {
	res, err := docker.Exec(ctx, e, containerID, []string{"test", "-d", "/proc/sys/net/ipv4/vs"}, nil)
	if err != nil {
		return false, err
	}
	return res.ExitCode == 0, nil
}

// checkTimeout bounds one kernel check container; an emulated engine needs seconds.
const checkTimeout = 2 * time.Minute

// DetectIPVS finds out whether the engine's kernel can do IPVS. A node whose
// /proc/sys/net/ipv4/vs exists settles it at once (ip_vs is loaded). Else the
// kernel is asked, through 'swarmlab kernel-check' in a throwaway container
// of image (the lab's base image; "" builds it from this binary), since
// a stock kernel loads ip_vs only on first use. Where the check cannot run
// (no binary for the engine's architecture, say), /proc decides, and Note
// says so.
func (l *Lab) DetectIPVS(ctx context.Context, image, nodeID string) (IPVSCheck, error) {
	var proc *bool
	if nodeID != "" {
		has, err := procHasIPVS(ctx, l.Engine, nodeID)
		if err == nil && has {
			return IPVSCheck{Has: true}, nil
		}
		if err == nil {
			proc = &has
		}
	}
	var rep kernel.Report
	var err error
	if image == "" {
		image, err = l.KernelCheckImage(ctx)
	}
	if err == nil {
		rep, err = CheckKernel(ctx, l.Engine, image, l.Config.Name)
	}
	return DecideIPVS(rep, err, proc)
}

// DecideIPVS weighs the kernel check's report against the /proc fallback (nil when
// that could not be read either).
func DecideIPVS(rep kernel.Report, checkErr error, proc *bool) (IPVSCheck, error) {
	if checkErr == nil && rep.Answered() {
		return IPVSCheck{Has: rep.IPVS, Asked: true}, nil
	}
	why := rep.Error
	if checkErr != nil {
		why = firstLine(checkErr)
	}
	if proc == nil {
		return IPVSCheck{}, fmt.Errorf("cannot tell whether the kernel has IPVS: %s", why)
	}
	note := "could not ask the kernel (" + why + "), so /proc/sys/net/ipv4/vs decided"
	if !*proc {
		note += "; it is also missing where ip_vs is a module not loaded yet"
	}
	return IPVSCheck{Has: *proc, Note: note}, nil
}

// KernelCheckImage returns the lab's base image for this binary, building it if
// missing (the binary in a scratch image: no pull needed).
func (l *Lab) KernelCheckImage(ctx context.Context) (string, error) {
	info, err := l.Engine.Info(ctx)
	if err != nil {
		return "", err
	}
	bin, sum, err := l.FindBinary("", info.OSType, info.Architecture)
	if err != nil {
		return "", err
	}
	if err := l.BuildImages(ctx, bin, sum, nil); err != nil {
		return "", err
	}
	return BaseImage(sum), nil
}

// CheckKernel runs 'swarmlab kernel-check' in a throwaway container of image
// and returns its report. The container has no network: the IPVS family
// answers in every network namespace, and the check needs no other.
func CheckKernel(ctx context.Context, e docker.Engine, image, labName string) (kernel.Report, error) {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	cfg := &container.Config{
		Image: image, Entrypoint: []string{"/swarmlab", kernel.CheckCommand},
		Labels: map[string]string{LabelLab + ".probe": labName},
	}
	out, code, err := RunOnce(ctx, e, cfg, &container.HostConfig{NetworkMode: "none"})
	if err != nil {
		return kernel.Report{}, fmt.Errorf("kernel check: %w", err)
	}
	rep, perr := kernel.ParseReport(out)
	if perr != nil {
		return kernel.Report{}, fmt.Errorf("kernel check exited with %d: %w", code, perr)
	}
	return rep, nil
}

// RunOnce runs a throwaway container to its end and returns its output.
func RunOnce(ctx context.Context, e docker.Engine, cfg *container.Config, hc *container.HostConfig) (string, int, error) {
	c, err := e.ContainerCreate(ctx, cfg, hc, nil, nil, "")
	if err != nil {
		return "", -1, err
	}
	defer e.ContainerRemove(context.WithoutCancel(ctx), c.ID, container.RemoveOptions{Force: true})
	// Waiting for the next exit before starting cannot miss a quick one.
	wait, errc := e.ContainerWait(ctx, c.ID, container.WaitConditionNextExit)
	if err := e.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		return "", -1, err
	}
	code := -1
	select {
	case w := <-wait:
		code = int(w.StatusCode)
		if w.Error != nil && w.Error.Message != "" {
			return "", code, errors.New(w.Error.Message)
		}
	case err := <-errc:
		return "", -1, err
	}
	out, err := docker.Logs(ctx, e, c.ID)
	return out, code, err
}
