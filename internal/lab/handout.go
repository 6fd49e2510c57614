package lab

// The hands-on lab's names: the images the handout starts from and where
// they live, read by up (package up) and by the tutorial's checks.

import (
	"fmt"
	"path/filepath"
)

// HandoutImage is one of the four images the handout starts from.
type HandoutImage struct {
	Host    string // on the host engine, as the learner tags it (":latest")
	Repo    string // in the lab registry, as the stack files pull it: registry:5000/REPO
	Handout string // the handout's own image for the role, when the learner types another name
}

// HandoutImages are the images the handout builds or pulls, under the names
// a hands-on lab gives them on the host. The visualizer and the ingress are
// swarmlab's own, so they carry swarmlab's name, not the handout's.
var HandoutImages = []HandoutImage{
	{Host: "swtest/api", Repo: "swtest/api"},
	{Host: "swtest/nginx", Repo: "swtest/nginx"},
	{Host: "swarmlab/visualizer", Repo: "visualizer", Handout: "dockersamples/visualizer"},
	{Host: "swarmlab/ingress", Repo: "haproxy", Handout: "dockercloud/haproxy"},
}

// HostRegistryRefs are the names the host may push an image of the lab
// registry under: localhost:PORT/REPO:latest, as the handout tags it, and
// 127.0.0.1:PORT/REPO:latest, as 'swarmlab up' does.
func (c Config) HostRegistryRefs(repo string) []string {
	return []string{
		fmt.Sprintf("localhost:%d/%s:latest", c.Ports.Registry, repo),
		fmt.Sprintf("127.0.0.1:%d/%s:latest", c.Ports.Registry, repo),
	}
}

// HandsOnStackDir is the folder a hands-on lab mounts at /stack: a copy of
// the stack files of the lab's own, adapted when the kernel lacks IPVS,
// since the learner deploys them by hand inside the manager.
func (c Config) HandsOnStackDir() string {
	return filepath.Join(dataHome(), "swarmlab", c.Name, "hands-on", "stack")
}
