package up

import (
	"context"
	"errors"

	"github.com/swarmlab/swarmlab/internal/class/client"
	"github.com/swarmlab/swarmlab/internal/lab"
)

// classNodeImage is up's way to the node image in a class: when it cannot
// be pulled and the learner joined a class ('swarmlab class join'), it is
// fetched from the teacher's laptop, checked against its SHA-256 and loaded
// into the engine: no pull, no registry setting changed. Out of a class, or
// when the class server has no such image, the pull's error stands.
func (u *upContext) classNodeImage(ctx context.Context, img, note string, err error) (string, string, error) {
	if err == nil {
		return img, note, nil
	}
	if _, lerr := client.Load(); lerr != nil {
		return img, note, err
	}
	want := []string{u.lab.Config.NodeImage}
	if u.lab.Config.NodeImage == lab.Defaults().NodeImage {
		want = append(want, lab.LocalNodeImage)
	}
	ref, from, ferr := client.LoadImage(ctx, u.engine, want, u.status.Progress)
	if ferr != nil {
		u.status.Infof("no node image from the class either: %v", ferr)
		return img, note, err
	}
	if _, ierr := u.engine.ImageInspect(ctx, ref); ierr != nil {
		return img, note, errors.Join(err, ierr)
	}
	return ref, "node image " + ref + " loaded from the class server (" + from + "), not pulled", nil
}
