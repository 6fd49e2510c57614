package regclient

// The requests themselves: one authentication challenge answered, and
// errors that carry the registry's own message.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

var defaultHTTPClient = &http.Client{Timeout: 30 * time.Second}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return defaultHTTPClient
}

// get makes a GET and turns any status but 200 into an error that carries
// the registry's own error message.
func (c *Client) get(ctx context.Context, u, accept string) (*http.Response, error) {
	return c.do(ctx, http.MethodGet, u, map[string]string{"Accept": accept}, nil, http.StatusOK)
}

// do makes a request, answering one authentication challenge, and turns a
// status not in want into a StatusError.
func (c *Client) do(ctx context.Context, method, u string, header map[string]string, body []byte, want ...int) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.ContentLength = int64(len(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		c.mu.Lock()
		if c.authz != "" {
			req.Header.Set("Authorization", c.authz)
		}
		c.mu.Unlock()
		resp, err := c.httpClient().Do(req)
		if err != nil {
			return nil, err
		}
		if slices.Contains(want, resp.StatusCode) {
			return resp, nil
		}
		msg := errorMessage(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			authz, err := c.authorize(ctx, parseChallenge(resp.Header.Get("WWW-Authenticate")), req.URL.Host)
			if err != nil {
				return nil, err
			}
			if authz != "" {
				c.mu.Lock()
				c.authz = authz
				c.mu.Unlock()
				continue
			}
		}
		return nil, &StatusError{URL: u, Method: method, Status: resp.StatusCode, Message: msg}
	}
}

// StatusError is a registry answer other than 200 OK.
type StatusError struct {
	URL     string
	Method  string
	Status  int
	Message string // the registry's errors[].message, if it sent any
}

func (e *StatusError) Error() string {
	method := e.Method
	if method == "" {
		method = http.MethodGet
	}
	msg := fmt.Sprintf("%s %s: %d %s", method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// errorMessage reads the registry's {"errors":[{"code","message"}]} body.
func errorMessage(body io.Reader) string {
	var e struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.NewDecoder(io.LimitReader(body, 64<<10)).Decode(&e) != nil {
		return ""
	}
	var msgs []string
	for _, x := range e.Errors {
		msgs = append(msgs, strings.TrimSpace(x.Code+" "+x.Message))
	}
	return strings.Join(msgs, "; ")
}

var _ error = (*StatusError)(nil)
