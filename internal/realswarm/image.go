package realswarm

// The OCI image of one role for one architecture: the server binary as
// /swarmlab in a single layer, started as the role's subcommand, as the
// lab's own images are (lab.BuildImages), without a Docker engine.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/swarmlab/swarmlab/internal/regclient"
)

// Role is one part of the lab that a real swarm runs.
type Role struct {
	Name    string // repository under the prefix, and the stack's name
	Command string // the server subcommand
	Ports   []int  // exposed
}

// Roles are what Push pushes and Deploy deploys.
var Roles = []Role{
	{Name: "ingress", Command: "ingress", Ports: []int{80, 1936}},
	{Name: "visualizer", Command: "visualizer", Ports: []int{8080}},
}

// layer is a compressed layer and what the config and manifest say of it.
type layer struct {
	data   []byte // tar+gzip
	diffID string // digest of the tar
}

// binaryLayer puts bin at /swarmlab, with fixed times and owners so that the
// same binary always makes the same digest and a push again uploads nothing.
func binaryLayer(bin []byte) (layer, error) {
	var tarball bytes.Buffer
	tw := tar.NewWriter(&tarball)
	if err := tw.WriteHeader(&tar.Header{Name: "swarmlab", Mode: 0o755, Size: int64(len(bin)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
		return layer{}, err
	}
	if _, err := tw.Write(bin); err != nil {
		return layer{}, err
	}
	if err := tw.Close(); err != nil {
		return layer{}, err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(tarball.Bytes()); err != nil {
		return layer{}, err
	}
	if err := zw.Close(); err != nil {
		return layer{}, err
	}
	return layer{data: gz.Bytes(), diffID: regclient.Digest(tarball.Bytes())}, nil
}

// image is one role's config and manifest for one architecture.
type image struct {
	config, manifest []byte
	arch             string
}

func buildImage(r Role, arch, version string, l layer) (image, error) {
	ports := map[string]struct{}{}
	for _, p := range r.Ports {
		ports[fmt.Sprintf("%d/tcp", p)] = struct{}{}
	}
	epoch := time.Unix(0, 0).UTC()
	cfg, err := json.Marshal(ocispec.Image{
		Created:  &epoch,
		Platform: ocispec.Platform{OS: "linux", Architecture: arch},
		Config: ocispec.ImageConfig{
			Entrypoint:   []string{"/swarmlab", r.Command},
			ExposedPorts: ports,
			Labels: map[string]string{
				"org.opencontainers.image.title":   "swarmlab " + r.Name,
				"org.opencontainers.image.version": version,
			},
		},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.Digest(l.diffID)}},
	})
	if err != nil {
		return image{}, err
	}
	m, err := json.Marshal(ocispec.Manifest{
		Versioned: specsVersioned,
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    descriptor(ocispec.MediaTypeImageConfig, cfg),
		Layers:    []ocispec.Descriptor{descriptor(ocispec.MediaTypeImageLayerGzip, l.data)},
	})
	return image{config: cfg, manifest: m, arch: arch}, err
}

// index lists one role's images, one per architecture.
func index(imgs []image) ([]byte, error) {
	idx := ocispec.Index{Versioned: specsVersioned, MediaType: ocispec.MediaTypeImageIndex}
	for _, img := range imgs {
		d := descriptor(ocispec.MediaTypeImageManifest, img.manifest)
		d.Platform = &ocispec.Platform{OS: "linux", Architecture: img.arch}
		idx.Manifests = append(idx.Manifests, d)
	}
	return json.Marshal(idx)
}

var specsVersioned = specs.Versioned{SchemaVersion: 2}

func descriptor(mediaType string, b []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mediaType, Digest: digest.Digest(regclient.Digest(b)), Size: int64(len(b))}
}
