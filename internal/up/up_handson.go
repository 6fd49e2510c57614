package up

// A hands-on lab: the state right after the handout's 'docker-compose up -d'
// (registry, manager and workers running, no swarm, an empty registry, the
// four images on the host), for the learner to type the rest while
// 'swarmlab tutorial' checks each step.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"

	"github.com/swarmlab/swarmlab/internal/cli"
	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/stack"
)

// prepareHandsOn readies a hands-on Run, or the repair of a hands-on
// lab that exists without undoing what the learner did. A new lab starts
// from an empty registry and without the tags an earlier run left on the
// host, so no step is done before the learner types it.
func prepareHandsOn(ctx context.Context, l *lab.Lab, u *upContext) error {
	if l.Config.Managers != 1 {
		return cli.WithHint(fmt.Errorf("--hands-on follows the handout, which has one manager (not %d)", l.Config.Managers), "drop --managers, or use "+l.Config.Cmd("up --managers N")+" without --hands-on")
	}
	if u.opts.Bare {
		return cli.WithHint(errors.New("--hands-on and --bare both stop early; they cannot be combined"), "use one of them")
	}
	inv, err := l.Inventory(ctx)
	if err != nil {
		return err
	}
	if len(inv.Containers) == 0 {
		if err := clearHandsOn(ctx, l, inv); err != nil {
			return err
		}
	}
	u.stackDir = l.Config.StackDir
	if u.stackDir == "" {
		u.stackDir = l.Config.HandsOnStackDir()
	}
	if err := os.MkdirAll(u.stackDir, 0o755); err != nil {
		return fmt.Errorf("stack folder: %w", err)
	}
	return nil
}

// clearHandsOn removes what an earlier hands-on run of this lab left behind:
// the registry's images, the host's tags for the registry (only tags: the
// images they name stay) and the stack copies.
func clearHandsOn(ctx context.Context, l *lab.Lab, inv lab.Inventory) error {
	refs, err := hostRegistryTags(ctx, l)
	if err != nil {
		return lab.EngineError(err)
	}
	vol := inv.Volumes[l.Config.RegistryVolume()]
	if !vol && len(refs) == 0 {
		return os.RemoveAll(l.Config.HandsOnStackDir())
	}
	l.Status.Start("Clearing what an earlier hands-on run left")
	var errs []error
	if vol {
		l.Status.Progress("the registry's images")
		if err := l.Engine.VolumeRemove(ctx, l.Config.RegistryVolume(), true); err != nil {
			errs = append(errs, fmt.Errorf("empty the registry: %w", err))
		}
	}
	for _, ref := range refs {
		l.Status.Progress(ref)
		if _, err := l.Engine.ImageRemove(ctx, ref, image.RemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("untag %s: %w", ref, err))
		}
	}
	errs = append(errs, os.RemoveAll(l.Config.HandsOnStackDir()))
	l.Status.End(errors.Join(errs...) == nil)
	return errors.Join(errs...)
}

// hostRegistryTags lists the host's tags for the lab registry, under
// either name the host gives it (HostRegistryRefs), whatever their repository:
// a mistyped tag of an earlier run counts too.
func hostRegistryTags(ctx context.Context, l *lab.Lab) ([]string, error) {
	imgs, err := l.Engine.ImageList(ctx, image.ListOptions{})
	if err != nil {
		return nil, err
	}
	prefixes := []string{fmt.Sprintf("localhost:%d/", l.Config.Ports.Registry), fmt.Sprintf("127.0.0.1:%d/", l.Config.Ports.Registry)}
	var out []string
	for _, img := range imgs {
		for _, t := range img.RepoTags {
			if strings.HasPrefix(t, prefixes[0]) || strings.HasPrefix(t, prefixes[1]) {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// writeStacks fills the hands-on stack folder. On a kernel without IPVS the
// copies are adapted as up adapts its own, so that the handout's
// 'docker stack deploy -c /stack/webapi.yml swtest', typed in the manager,
// works; files the learner already has are kept.
func (u *upContext) writeStacks(ctx context.Context) error {
	has, err := u.hasIPVS(ctx)
	if err != nil {
		return err
	}
	own, _ := filepath.Abs(u.lab.Config.HandsOnStackDir())
	if u.stackDir != own {
		u.status.Progress("your own folder " + u.stackDir)
		if !has {
			u.status.Infof("this kernel has no IPVS: deploy the files of %s with %s, which adapts them", u.stackDir, u.lab.Config.Cmd("docker stack deploy"))
		}
		return nil
	}
	for _, s := range stack.Stacks {
		p := filepath.Join(u.stackDir, s.File)
		if _, err := os.Stat(p); err == nil {
			continue
		}
		data, err := stack.Files.ReadFile(s.File)
		if err != nil {
			return err
		}
		if !has {
			if data, err = stack.AdaptNoIPVS(data); err != nil {
				return err
			}
			data = append([]byte(noIPVSHeader(s.File, u.lab.Config.Cmd("doctor"))), data...)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	u.status.Progress(u.stackDir)
	if !has {
		u.status.Infof("this kernel has no IPVS: the files at /stack are adapted copies (endpoint_mode dnsrr, host-mode ports); %s explains", u.lab.Config.Cmd("doctor"))
	}
	return nil
}

func noIPVSHeader(file, doctor string) string {
	return "# swarmlab: this kernel has no IPVS, so swarm's service VIPs and routing mesh do not\n" +
		"# work here. This copy of " + file + " is adapted for it: every service resolves by DNS\n" +
		"# round robin (endpoint_mode: dnsrr) and publishes its ports in host mode, on the node\n" +
		"# that runs it. The handout's commands work as written. " + doctor + " explains.\n"
}

// tagHandout gives the visualizer and ingress images the host names the
// tutorial tells the learner to tag; the other two are built under theirs.
func (u *upContext) tagHandout(ctx context.Context) error {
	for _, img := range lab.HandoutImages {
		if img.Host == img.Repo {
			continue
		}
		if err := u.engine.ImageTag(ctx, img.Repo+":latest", img.Host+":latest"); err != nil {
			return fmt.Errorf("tag %s: %w", img.Host, err)
		}
	}
	u.status.Progress(fmt.Sprintf("%d images", len(lab.HandoutImages)))
	return nil
}
