package regclient

// Registry authentication as docker does it: on a 401, Basic credentials,
// or a Bearer token from the realm the registry names (Docker Hub, GHCR,
// GitLab, Harbor ...), fetched with the user's login when there is one.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Credentials returns the login for a registry host; empty for anonymous.
type Credentials func(host string) (user, secret string, err error)

// challenge is a parsed WWW-Authenticate header.
type challenge struct {
	scheme string // "basic" or "bearer"
	params map[string]string
}

func parseChallenge(h string) challenge {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	c := challenge{scheme: strings.ToLower(scheme), params: map[string]string{}}
	for rest != "" {
		var kv string
		// Values are quoted and may hold commas (scope="repository:a:pull,push").
		rest = strings.TrimLeft(rest, " ,")
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		if strings.HasPrefix(v, `"`) {
			end := strings.Index(v[1:], `"`)
			if end < 0 {
				break
			}
			kv, rest = v[1:1+end], v[2+end:]
		} else {
			kv, rest, _ = strings.Cut(v, ",")
		}
		c.params[strings.ToLower(strings.TrimSpace(k))] = kv
	}
	return c
}

// authorize answers a challenge: it returns the Authorization header to
// retry with, or "" when it cannot do better than anonymous.
func (c *Client) authorize(ctx context.Context, ch challenge, host string) (string, error) {
	var user, secret string
	if c.Credentials != nil {
		var err error
		if user, secret, err = c.Credentials(host); err != nil {
			return "", err
		}
	}
	switch ch.scheme {
	case "basic":
		if user == "" {
			return "", nil
		}
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.SetBasicAuth(user, secret)
		return req.Header.Get("Authorization"), nil
	case "bearer":
		realm := ch.params["realm"]
		if realm == "" {
			return "", fmt.Errorf("the registry asked for a token without naming where to get it")
		}
		u, err := url.Parse(realm)
		if err != nil {
			return "", err
		}
		q := u.Query()
		if s := ch.params["service"]; s != "" {
			q.Set("service", s)
		}
		if s := ch.params["scope"]; s != "" {
			q.Set("scope", s)
		}
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return "", err
		}
		if user != "" {
			req.SetBasicAuth(user, secret)
		}
		resp, err := c.httpClient().Do(req)
		if err != nil {
			return "", fmt.Errorf("get a token from %s: %w", u.Host, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", &StatusError{URL: u.String(), Method: http.MethodGet, Status: resp.StatusCode, Message: errorMessage(resp.Body)}
		}
		var tok struct {
			Token       string `json:"token"`
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
			return "", fmt.Errorf("token from %s: %w", u.Host, err)
		}
		if tok.Token == "" {
			tok.Token = tok.AccessToken
		}
		return "Bearer " + tok.Token, nil
	}
	return "", nil
}
