package regclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Digest is the OCI digest of b (sha256:...).
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// PushBlob uploads b into repo unless the registry has it: first by
// mounting it from mountFrom (another repository of the same registry, ""
// for none), else in one monolithic upload.
func (c *Client) PushBlob(ctx context.Context, repo string, b []byte, mountFrom string) error {
	dg := Digest(b)
	if resp, err := c.do(ctx, http.MethodHead, c.url("/v2/"+repo+"/blobs/"+dg), nil, nil, http.StatusOK); err == nil {
		resp.Body.Close()
		return nil
	}
	start := "/v2/" + repo + "/blobs/uploads/"
	if mountFrom != "" {
		start += "?" + url.Values{"mount": {dg}, "from": {mountFrom}}.Encode()
	}
	resp, err := c.do(ctx, http.MethodPost, c.url(start), nil, nil, http.StatusAccepted, http.StatusCreated)
	if err != nil {
		return fmt.Errorf("start uploading %s to %s: %w", dg, repo, err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusCreated {
		return nil // mounted
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return fmt.Errorf("upload location %q: %w", resp.Header.Get("Location"), err)
	}
	base, _ := url.Parse(c.url(start))
	u := base.ResolveReference(loc)
	q := u.Query()
	q.Set("digest", dg)
	u.RawQuery = q.Encode()
	resp, err = c.do(ctx, http.MethodPut, u.String(), map[string]string{"Content-Type": "application/octet-stream"}, b, http.StatusCreated)
	if err != nil {
		return fmt.Errorf("upload %s to %s: %w", dg, repo, err)
	}
	resp.Body.Close()
	return nil
}

// PushManifest puts a manifest or an index under ref (a tag, or its
// digest) and returns its digest.
func (c *Client) PushManifest(ctx context.Context, repo, ref, mediaType string, m []byte) (string, error) {
	resp, err := c.do(ctx, http.MethodPut, c.url("/v2/"+repo+"/manifests/"+ref), map[string]string{"Content-Type": mediaType}, m, http.StatusCreated)
	if err != nil {
		return "", fmt.Errorf("push the manifest %s:%s: %w", repo, ref, err)
	}
	resp.Body.Close()
	return Digest(m), nil
}

// Platform is one entry of an index.
type Platform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant,omitempty"`
}

func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Platforms returns the platforms an index lists, and its media type; a
// single-platform manifest lists none.
func (c *Client) Platforms(ctx context.Context, repo, ref string) ([]Platform, string, error) {
	resp, err := c.get(ctx, c.url("/v2/"+repo+"/manifests/"+ref), manifestAccept)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	var idx struct {
		MediaType string `json:"mediaType"`
		Manifests []struct {
			Platform *Platform `json:"platform"`
		} `json:"manifests"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxManifestSize)).Decode(&idx); err != nil {
		return nil, "", err
	}
	var out []Platform
	for _, m := range idx.Manifests {
		if m.Platform != nil {
			out = append(out, *m.Platform)
		}
	}
	mt := resp.Header.Get("Content-Type")
	if mt == "" {
		mt = idx.MediaType
	}
	return out, mt, nil
}
