package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/swarmlab/swarmlab/internal/class/proto"
)

// httpClient has no proxy: the class server is on the room's LAN.
var httpClient = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second}}

// StatusError is an answer that is not a success.
type StatusError struct {
	Code int
	Text string
}

func (e *StatusError) Error() string { return strings.TrimSpace(e.Text) }

// NormalizeURL accepts HOST:PORT, http://HOST:PORT or a URL with a path,
// and returns scheme://host[:port].
func NormalizeURL(s string) (string, error) {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("%q is not a class server's address (http://HOST:PORT)", s)
	}
	return u.Scheme + "://" + u.Host, nil
}

// call sends one request; out (if not nil) receives a JSON answer.
func call(ctx context.Context, method, base, path, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return &StatusError{Code: resp.StatusCode, Text: string(b)}
	}
	if out != nil && len(b) > 0 {
		return json.Unmarshal(b, out)
	}
	return nil
}

// Join joins the class at base with code, and remembers it.
func Join(ctx context.Context, base, code, name string) (Membership, error) {
	base, err := NormalizeURL(base)
	if err != nil {
		return Membership{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var resp proto.JoinResponse
	if err := call(ctx, http.MethodPost, base, proto.PathJoin, "", proto.JoinRequest{Code: code, Name: name}, &resp); err != nil {
		return Membership{}, fmt.Errorf("joining the class at %s: %w", base, err)
	}
	m := Membership{URL: base, Code: strings.ToUpper(strings.TrimSpace(code)), ID: resp.ID, Name: resp.Name, Token: resp.Token, Joined: time.Now()}
	if err := Save(m); err != nil {
		return m, err
	}
	_ = clearQueue()
	return m, nil
}

// Leave tells the class and forgets it. The class is forgotten here even
// when the server cannot be reached.
func Leave(ctx context.Context) (Membership, error) {
	m, err := Load()
	if err != nil {
		return m, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	serr := call(ctx, http.MethodPost, m.URL, proto.PathLeave, m.Token, nil, nil)
	if err := Forget(); err != nil {
		return m, err
	}
	if serr != nil {
		return m, fmt.Errorf("left here, but the class server did not hear it: %w", serr)
	}
	return m, nil
}

// RaiseHand raises a hand with a question.
func RaiseHand(ctx context.Context, question string) (proto.Feed, error) {
	var f proto.Feed
	m, err := Load()
	if err != nil {
		return f, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := call(ctx, http.MethodPost, m.URL, proto.PathHand, m.Token, proto.Hand{Question: question}, &f); err != nil {
		return f, fmt.Errorf("raising a hand at %s: %w", m.URL, err)
	}
	return f, nil
}

// GetFeed asks what the teacher says now.
func GetFeed(ctx context.Context, m Membership) (proto.Feed, error) {
	var f proto.Feed
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	err := call(ctx, http.MethodGet, m.URL, proto.PathFeed, m.Token, nil, &f)
	return f, err
}
