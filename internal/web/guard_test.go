package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func guarded() http.Handler {
	g := &Guard{Secret: "s3cret", Cookie: "t", Hosts: []string{"teacher.local"}, Public: []string{"/api/learner/", "/healthz"}}
	return g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("inside")) }))
}

func TestGuard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		method   string
		target   string
		host     string
		headers  map[string]string
		want     int
		location string
	}{
		{name: "no secret", target: "/", want: 401},
		{name: "token exchanged for a cookie", target: "/board?x=1&token=s3cret", want: 303, location: "/board?x=1"},
		{name: "another launch's token", target: "/?token=other", want: 403},
		{name: "cookie", target: "/", headers: map[string]string{"Cookie": "t=s3cret"}, want: 200},
		{name: "cookie of another server", target: "/", headers: map[string]string{"Cookie": "swarmlab=s3cret"}, want: 401},
		{name: "wrong cookie", target: "/", headers: map[string]string{"Cookie": "t=s3creT"}, want: 401},
		{name: "bearer", target: "/", headers: map[string]string{"Authorization": "Bearer s3cret"}, want: 200},
		{name: "basic is not bearer", target: "/", headers: map[string]string{"Authorization": "Basic s3cret"}, want: 401},
		{name: "rebinding host", target: "/", host: "evil.example:7777", headers: map[string]string{"Cookie": "t=s3cret"}, want: 421},
		{name: "rebinding host on a public path", target: "/healthz", host: "evil.example", want: 421},
		{name: "expected name", target: "/", host: "Teacher.Local:7777", headers: map[string]string{"Cookie": "t=s3cret"}, want: 200},
		{name: "localhost", target: "/", host: "localhost:7777", headers: map[string]string{"Cookie": "t=s3cret"}, want: 200},
		{name: "ipv6 literal", target: "/", host: "[::1]:7777", headers: map[string]string{"Cookie": "t=s3cret"}, want: 200},
		{name: "LAN address", target: "/", host: "192.168.1.20:7777", headers: map[string]string{"Cookie": "t=s3cret"}, want: 200},
		{name: "empty host", target: "/", host: " ", want: 421},
		{name: "same origin", method: "POST", target: "/", headers: map[string]string{"Cookie": "t=s3cret", "Origin": "http://127.0.0.1:7777"}, want: 200},
		{name: "other port is another origin", method: "POST", target: "/", headers: map[string]string{"Cookie": "t=s3cret", "Origin": "http://127.0.0.1:8000"}, want: 403},
		{name: "other site", method: "POST", target: "/", headers: map[string]string{"Cookie": "t=s3cret", "Origin": "http://evil.example"}, want: 403},
		{name: "null origin", method: "POST", target: "/", headers: map[string]string{"Cookie": "t=s3cret", "Origin": "null"}, want: 403},
		{name: "websocket from another origin", target: "/ws", headers: map[string]string{"Cookie": "t=s3cret", "Origin": "http://localhost:3000", "Upgrade": "websocket", "Connection": "Upgrade"}, want: 403},
		{name: "same-site fetch without origin", target: "/", headers: map[string]string{"Cookie": "t=s3cret", "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors"}, want: 403},
		{name: "navigation from another site", target: "/", headers: map[string]string{"Cookie": "t=s3cret", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}, want: 200},
		{name: "public path needs no secret", target: "/api/learner/progress", want: 200},
		{name: "public prefix is not a substring match", target: "/api/learnerX", want: 401},
		{name: "public path from another origin", method: "POST", target: "/api/learner/progress", headers: map[string]string{"Origin": "http://evil.example"}, want: 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			method := tc.method
			if method == "" {
				method = "GET"
			}
			r := httptest.NewRequest(method, tc.target, nil)
			r.Host = "127.0.0.1:7777"
			if tc.host != "" {
				r.Host = strings.TrimSpace(tc.host)
			}
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			guarded().ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("%s %s: got %d (%q), want %d", method, tc.target, w.Code, w.Body.String(), tc.want)
			}
			if tc.want == 200 && w.Body.String() != "inside" {
				t.Fatalf("body %q", w.Body.String())
			}
			if tc.location != "" {
				if got := w.Header().Get("Location"); got != tc.location {
					t.Fatalf("Location %q, want %q", got, tc.location)
				}
				c := w.Result().Cookies()
				if len(c) != 1 || c[0].Name != "t" || c[0].Value != "s3cret" || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
					t.Fatalf("cookie %+v", c)
				}
			}
		})
	}
}

func TestZeroGuardRefusesAll(t *testing.T) {
	t.Parallel()
	h := (&Guard{}).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, hdr := range []string{"", "Bearer ", "Bearer x"} {
		r := httptest.NewRequest("GET", "/?token=", nil)
		r.Host = "127.0.0.1"
		r.Header.Set("Authorization", hdr)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 401 {
			t.Fatalf("Authorization %q: %d", hdr, w.Code)
		}
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	a, b := NewSecret(), NewSecret()
	if a == b || len(a) < 40 || strings.ContainsAny(a, "+/=") {
		t.Fatalf("secrets %q %q", a, b)
	}
	if !Equal(a, a) || Equal(a, b) || Equal("", "") {
		t.Fatal("Equal")
	}
}

func TestStream(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	s, err := NewStream(w)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send("step", map[string]string{"name": "<b>x</b>\n"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SendRaw("bad\nevent", []byte("{}")); err == nil {
		t.Fatal("an event name with a line break was sent")
	}
	want := "retry: 2000\n\nevent: step\ndata: {\"name\":\"\\u003cb\\u003ex\\u003c/b\\u003e\\n\"}\n\n"
	if got := w.Body.String(); got != want {
		t.Fatalf("stream %q, want %q", got, want)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
}
