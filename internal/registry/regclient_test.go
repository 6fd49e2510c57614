package registry_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/swarmlab/swarmlab/internal/regclient"
	"github.com/swarmlab/swarmlab/internal/registry"
)

// The lab's own client against the server, as 'swarmlab images push' and
// 'swarmlab images' use them: blobs pushed and mounted, a manifest and an
// index, then sizes, tags and platforms read back.
func TestRegclientRoundTrip(t *testing.T) {
	t.Parallel()
	r, err := registry.New(context.Background(), registry.Config{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.Handler())
	defer r.Close()
	defer srv.Close()
	ctx := context.Background()
	c := &regclient.Client{BaseURL: srv.URL}

	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	layer := []byte("a layer both repositories share")
	for _, b := range [][]byte{config, layer} {
		if err := c.PushBlob(ctx, "t/node", b, ""); err != nil {
			t.Fatal(err)
		}
		// Mounted into the second repository, not sent again.
		if err := c.PushBlob(ctx, "t/other", b, "t/node"); err != nil {
			t.Fatal(err)
		}
	}
	m, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": regclient.MediaTypeDockerManifest,
		"config": map[string]any{"mediaType": "application/vnd.docker.container.image.v1+json", "digest": regclient.Digest(config), "size": len(config)},
		"layers": []map[string]any{{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": regclient.Digest(layer), "size": len(layer)}},
	})
	md, err := c.PushManifest(ctx, "t/node", "1", regclient.MediaTypeDockerManifest, m)
	if err != nil {
		t.Fatal(err)
	}
	index, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": regclient.MediaTypeDockerManifestList,
		"manifests": []map[string]any{{
			"mediaType": regclient.MediaTypeDockerManifest, "digest": md, "size": len(m),
			"platform": map[string]string{"os": "linux", "architecture": "amd64"},
		}},
	})
	if _, err := c.PushManifest(ctx, "t/other", md, regclient.MediaTypeDockerManifest, m); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PushManifest(ctx, "t/other", "multi", regclient.MediaTypeDockerManifestList, index); err != nil {
		t.Fatal(err)
	}

	sizes, err := c.ImageSizes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	size := int64(len(config) + len(layer))
	want := []regclient.ImageSize{
		{Repo: "t/node", Tag: "1", Digest: md, MediaType: regclient.MediaTypeDockerManifest, Size: size, Blobs: 2},
		{Repo: "t/other", Tag: "multi", Digest: regclient.Digest(index), MediaType: regclient.MediaTypeDockerManifestList, Size: size, Blobs: 2},
	}
	if !reflect.DeepEqual(sizes.Images, want) || sizes.Total != size || sizes.Blobs != 2 {
		t.Errorf("ImageSizes = %+v, want images %+v, total %d in 2 blobs", sizes, want, size)
	}
	platforms, mt, err := c.Platforms(ctx, "t/other", "multi")
	if err != nil || mt != regclient.MediaTypeDockerManifestList || len(platforms) != 1 || platforms[0].String() != "linux/amd64" {
		t.Errorf("Platforms = %v, %q, %v", platforms, mt, err)
	}
}
