package lab

// The node image, built by up itself when docker:dind cannot be pulled.

import (
	"context"
	"fmt"
	"time"

	"github.com/swarmlab/swarmlab/internal/nodeimage"
)

// LocalNodeImage is what 'swarmlab build node-image' makes, and what up
// builds by itself when the default image cannot be pulled.
const LocalNodeImage = nodeimage.DefaultTag

// noNodeImageError: the default node image cannot be pulled and
// LocalNodeImage is not built.
type noNodeImageError struct{ image, reason string }

func (e *noNodeImageError) Error() string {
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
		return engineErr(err)
	}
	install, err := l.nodeHost(goArch(info.Architecture)).CanBuild(why)
	if err != nil {
		return err
	}
	if install {
		if err := nodeimage.InstallDebootstrap(ctx, progress); err != nil {
			return err
		}
	}
	return l.nodeBuild(ctx, l.Engine, o, progress)
}

// buildNodeImageForUp is up's fallback: say why, build with progress shown
// in the step's line, and name the time it took.
func (u *upContext) buildNodeImageForUp(ctx context.Context, missing *noNodeImageError) error {
	why := missing.Error()
	u.status.Infof("%s: building it from Debian packages (debootstrap, about a minute)", why)
	start := time.Now()
	if err := u.lab.buildNodeImage(ctx, nodeimage.Options{}, why, u.status.Progress); err != nil {
		return err
	}
	u.status.Infof("built %s in %s", LocalNodeImage, time.Since(start).Round(time.Second))
	return nil
}
