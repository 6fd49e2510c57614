package class

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/class/proto"
)

func newTestServer(t *testing.T, opt Options) (*Server, *httptest.Server) {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	s, err := Open(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, ts
}

type reply struct {
	code int
	body string
}

func do(t *testing.T, method, url, token string, body any, hdr ...string) reply {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, url, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, string(b)}
}

func join(t *testing.T, ts *httptest.Server, code, name string) proto.JoinResponse {
	t.Helper()
	r := do(t, "POST", ts.URL+proto.PathJoin, "", proto.JoinRequest{Code: code, Name: name})
	if r.code != 200 {
		t.Fatalf("join %q: %d %s", name, r.code, r.body)
	}
	var jr proto.JoinResponse
	if err := json.Unmarshal([]byte(r.body), &jr); err != nil {
		t.Fatal(err)
	}
	return jr
}

func tick(seq int64, current string, done ...string) proto.Tick {
	t := proto.Tick{Seq: seq, LabState: "running", Current: current, Lang: "en"}
	for _, d := range done {
		t.Steps = append(t.Steps, proto.StepState{ID: d, Status: "done"})
	}
	if current != "" {
		t.Steps = append(t.Steps, proto.StepState{ID: current, Status: "current"})
	}
	return t
}

func TestJoinTickAndBoard(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{})
	a := join(t, ts, strings.ToLower(s.Code), "Aiko")
	if a.Token == "" || a.Name != "Aiko" {
		t.Fatalf("join %+v", a)
	}
	if r := do(t, "POST", ts.URL+proto.PathTick, a.Token, tick(1, "tag", "init")); r.code != 200 {
		t.Fatalf("tick: %d %s", r.code, r.body)
	}
	ls := s.Learners()
	if len(ls) != 1 || ls[0].Current != "tag" || ls[0].Steps["init"] != "done" || ls[0].Ticks != 1 {
		t.Fatalf("learners %+v", ls)
	}
	// The token is stored hashed only.
	var stored string
	s.store.db.QueryRow("SELECT token_hash FROM learners").Scan(&stored)
	if stored == a.Token || stored != HashToken(a.Token) {
		t.Fatalf("stored %q for token %q", stored, a.Token)
	}
}

func TestWrongCodeRateLimited(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{})
	var forbidden, limited int
	for i := 0; i < 200; i++ {
		r := do(t, "POST", ts.URL+proto.PathJoin, "", proto.JoinRequest{Code: fmt.Sprintf("WRONG%d", i), Name: "x"})
		switch r.code {
		case 403:
			forbidden++
		case 429:
			limited++
		default:
			t.Fatalf("wrong code %d: %d %s", i, r.code, r.body)
		}
	}
	if forbidden > 15 || limited < 180 {
		t.Fatalf("%d refused, %d rate-limited", forbidden, limited)
	}
	// Even the right code waits now, from this address.
	if r := do(t, "POST", ts.URL+proto.PathJoin, "", proto.JoinRequest{Code: s.Code, Name: "x"}); r.code != 429 {
		t.Fatalf("right code after a flood of wrong ones: %d", r.code)
	}
	if n := len(s.Learners()); n != 0 {
		t.Fatalf("%d learners stored", n)
	}
}

func TestForgedAndReplayedTokens(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{})
	a := join(t, ts, s.Code, "Aiko")
	for _, tok := range []string{"", "forged", a.Token + "x", strings.ToUpper(a.Token), HashToken(a.Token)} {
		if r := do(t, "POST", ts.URL+proto.PathTick, tok, tick(5, "tag")); r.code != 401 {
			t.Fatalf("token %q: %d %s", tok, r.code, r.body)
		}
	}
	if r := do(t, "POST", ts.URL+proto.PathTick, a.Token, tick(10, "push", "init", "tag")); r.code != 200 {
		t.Fatalf("tick: %d", r.code)
	}
	// The same tick again, and an older one: refused, nothing stored.
	for _, seq := range []int64{10, 9} {
		if r := do(t, "POST", ts.URL+proto.PathTick, a.Token, tick(seq, "init")); r.code != 409 {
			t.Fatalf("replayed seq %d: %d %s", seq, r.code, r.body)
		}
	}
	if l := s.Learners()[0]; l.Current != "push" || l.Ticks != 1 {
		t.Fatalf("after replays: %+v", l)
	}
	var n int
	s.store.db.QueryRow("SELECT count(*) FROM ticks").Scan(&n)
	if n != 1 {
		t.Fatalf("%d ticks stored", n)
	}
	// A learner who left: the token is dead.
	if r := do(t, "POST", ts.URL+proto.PathLeave, a.Token, nil); r.code != 204 {
		t.Fatalf("leave: %d", r.code)
	}
	if r := do(t, "POST", ts.URL+proto.PathTick, a.Token, tick(11, "push")); r.code != 401 {
		t.Fatalf("tick after leave: %d", r.code)
	}
}

func TestLearnerCannotWriteAnother(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{})
	a := join(t, ts, s.Code, "Aiko")
	b := join(t, ts, s.Code, "Ben")
	// The body names no learner: a tick with extra fields naming Ben
	// still lands on Aiko, the token's owner.
	body := []byte(fmt.Sprintf(`{"seq":3,"id":%d,"learner":%d,"name":"Ben","current":"network","steps":[{"id":"network","status":"current"}]}`, b.ID, b.ID))
	if r := do(t, "POST", ts.URL+proto.PathTick, a.Token, body); r.code != 200 {
		t.Fatalf("tick: %d %s", r.code, r.body)
	}
	for _, l := range s.Learners() {
		switch l.ID {
		case a.ID:
			if l.Current != "network" || l.Name != "Aiko" {
				t.Fatalf("Aiko %+v", l)
			}
		case b.ID:
			if l.Current != "" || l.Ticks != 0 {
				t.Fatalf("Ben was written by Aiko: %+v", l)
			}
		}
	}
	// A learner's token opens none of the teacher's pages or actions.
	for _, p := range []string{"/", "/api/teacher/board", "/api/teacher/export.csv", "/api/teacher/learner/1"} {
		if r := do(t, "GET", ts.URL+p, a.Token, nil); r.code != 401 {
			t.Fatalf("learner token on %s: %d", p, r.code)
		}
	}
	if r := do(t, "POST", ts.URL+"/api/teacher/broadcast", a.Token, map[string]string{"text": "hi"}); r.code != 401 {
		t.Fatalf("learner broadcast: %d", r.code)
	}
}

func TestTeacherPagesNeedTheSecret(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{})
	for _, p := range []string{"/", "/index.html", "/learner.html?id=1", "/api/teacher/board", "/api/teacher/events", "/api/teacher/export.json"} {
		for _, try := range []struct{ tok, hdr string }{{"", ""}, {s.Code, ""}, {"", s.Code}} {
			url := ts.URL + p
			if try.tok != "" {
				url += map[bool]string{true: "&", false: "?"}[strings.Contains(p, "?")] + "token=" + try.tok
			}
			r := do(t, "GET", url, "", nil, "Cookie", "swarmlab-teacher="+try.hdr)
			if r.code != 401 && r.code != 403 {
				t.Fatalf("%s with the class code (%+v): %d", p, try, r.code)
			}
			if try.tok == "" && try.hdr == "" && !strings.Contains(r.body, "teacher URL") {
				t.Fatalf("refusal says %q", r.body)
			}
		}
		if r := do(t, "GET", ts.URL+p, s.Code, nil); r.code != 401 {
			t.Fatalf("%s with the class code as bearer: %d", p, r.code)
		}
	}
	if r := do(t, "GET", ts.URL+"/api/teacher/board", s.Secret, nil); r.code != 200 {
		t.Fatalf("board with the secret: %d", r.code)
	}
}

func TestOversizedBodies(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{})
	a := join(t, ts, s.Code, "Aiko")
	big := []byte(`{"seq":1,"hint":"` + strings.Repeat("a", proto.MaxBody+10) + `"}`)
	if r := do(t, "POST", ts.URL+proto.PathTick, a.Token, big); r.code != 413 {
		t.Fatalf("big tick: %d", r.code)
	}
	bigJoin := []byte(`{"code":"` + s.Code + `","name":"` + strings.Repeat("n", 8000) + `"}`)
	if r := do(t, "POST", ts.URL+proto.PathJoin, "", bigJoin); r.code != 413 {
		t.Fatalf("big join: %d", r.code)
	}
	bigHand := []byte(`{"question":"` + strings.Repeat("q", 9000) + `"}`)
	if r := do(t, "POST", ts.URL+proto.PathHand, a.Token, bigHand); r.code != 413 {
		t.Fatalf("big hand: %d", r.code)
	}
	if l := s.Learners()[0]; l.Ticks != 0 || l.Hand != nil {
		t.Fatalf("stored from oversized bodies: %+v", l)
	}
	if n := len(s.Learners()); n != 1 {
		t.Fatalf("%d learners", n)
	}
}

func TestNamesAndQuestionsCleaned(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{})
	name := "<script>alert(1)</script>\x1b[31m\u202eevil\nname" + strings.Repeat("x", 100)
	a := join(t, ts, s.Code, name)
	if strings.ContainsAny(a.Name, "\x1b\n\u202e") || len([]rune(a.Name)) > proto.MaxName || !strings.HasPrefix(a.Name, "<script>alert(1)</script>") {
		t.Fatalf("name kept as %q", a.Name)
	}
	q := "<img src=x onerror=alert(1)>\r\n\x00\x07 why" + strings.Repeat("?", 500)
	if r := do(t, "POST", ts.URL+proto.PathHand, a.Token, proto.Hand{Question: q}); r.code != 200 {
		t.Fatalf("hand: %d %s", r.code, r.body)
	}
	h := s.Learners()[0].Hand
	if h == nil || strings.ContainsAny(h.Question, "\r\n\x00\x07") || len([]rune(h.Question)) > proto.MaxQuestion {
		t.Fatalf("question kept as %+v", h)
	}
	if !strings.HasPrefix(h.Question, "<img src=x onerror=alert(1)> why") {
		t.Fatalf("question %q", h.Question)
	}
	// A second hand while one is up is refused.
	if r := do(t, "POST", ts.URL+proto.PathHand, a.Token, proto.Hand{Question: "again"}); r.code != 409 {
		t.Fatalf("second hand: %d", r.code)
	}
	// A tick naming steps that do not exist keeps none of them.
	bad := proto.Tick{Seq: 1, Current: "<b>x</b>", Steps: []proto.StepState{{ID: "<b>x</b>", Status: "done"}, {ID: "init", Status: "<i>"}}}
	if r := do(t, "POST", ts.URL+proto.PathTick, a.Token, bad); r.code != 200 {
		t.Fatalf("tick: %d", r.code)
	}
	if l := s.Learners()[0]; l.Current != "" || len(l.Steps) != 0 {
		t.Fatalf("unknown steps kept: %+v", l)
	}
	// The CSV export defuses formulas.
	join(t, ts, s.Code, "=HYPERLINK(\"http://x\")")
	r := do(t, "GET", ts.URL+"/api/teacher/export.csv", s.Secret, nil)
	if !strings.Contains(r.body, `'=HYPERLINK`) {
		t.Fatalf("csv:\n%s", r.body)
	}
}

func TestJoinFlood(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{MaxLearners: 300})
	var ok, limited, full atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 50}}
	for i := 0; i < 10000; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			b, _ := json.Marshal(proto.JoinRequest{Code: s.Code, Name: fmt.Sprint("flood", i)})
			resp, err := client.Post(ts.URL+proto.PathJoin, "application/json", bytes.NewReader(b))
			if err != nil {
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			switch resp.StatusCode {
			case 200:
				ok.Add(1)
			case 429:
				limited.Add(1)
			case 403:
				full.Add(1)
			}
		}(i)
	}
	wg.Wait()
	n := len(s.Learners())
	if int64(n) != ok.Load() || n > 300 || limited.Load() < 9000 {
		t.Fatalf("%d stored, %d joined, %d rate-limited, %d full", n, ok.Load(), limited.Load(), full.Load())
	}
	// The class still works for the learners in it.
	r := do(t, "GET", ts.URL+"/api/teacher/board", s.Secret, nil)
	if r.code != 200 {
		t.Fatalf("board after the flood: %d", r.code)
	}
	t.Logf("%d joined, %d rate-limited, %d refused as full", ok.Load(), limited.Load(), full.Load())
}

func TestRestartKeepsEverything(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, ts := newTestServer(t, Options{Dir: dir})
	a := join(t, ts, s.Code, "Aiko")
	do(t, "POST", ts.URL+proto.PathTick, a.Token, tick(1, "tag", "init"))
	do(t, "POST", ts.URL+proto.PathHand, a.Token, proto.Hand{Question: "help"})
	do(t, "POST", ts.URL+"/api/teacher/broadcast", s.Secret, map[string]string{"text": "stop at stack deploy"})
	do(t, "POST", ts.URL+"/api/teacher/step", s.Secret, map[string]string{"step": "stack-deploy"})
	code, secret := s.Code, s.Secret
	ts.Close()
	s.Close()

	s2, ts2 := newTestServer(t, Options{Dir: dir})
	if s2.Code != code || s2.Secret != secret {
		t.Fatal("code or secret changed on restart")
	}
	l := s2.Learners()
	if len(l) != 1 || l[0].Current != "tag" || l[0].Hand == nil || l[0].Hand.Question != "help" {
		t.Fatalf("after restart: %+v", l)
	}
	var f proto.TickResponse
	r := do(t, "POST", ts2.URL+proto.PathTick, a.Token, tick(2, "push", "init", "tag"))
	json.Unmarshal([]byte(r.body), &f)
	if r.code != 200 || f.Feed.Broadcast != "stop at stack deploy" || f.Feed.Step != "stack-deploy" || !f.Feed.HandOpen {
		t.Fatalf("tick after restart: %d %+v", r.code, f)
	}
	if r := do(t, "POST", ts2.URL+proto.PathTick, a.Token, tick(1, "init")); r.code != 409 {
		t.Fatalf("old tick replayed after restart: %d", r.code)
	}
}

func TestBoardStreamsWithinASecond(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{})
	req, _ := http.NewRequest("GET", ts.URL+"/api/teacher/events", nil)
	req.Header.Set("Authorization", "Bearer "+s.Secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan string, 100)
	go func() {
		buf := make([]byte, 64<<10)
		var acc string
		for {
			n, err := resp.Body.Read(buf)
			acc += string(buf[:n])
			for {
				i := strings.Index(acc, "\n\n")
				if i < 0 {
					break
				}
				events <- acc[:i]
				acc = acc[i+2:]
			}
			if err != nil {
				close(events)
				return
			}
		}
	}()
	wait := func(want string) string {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatal("stream closed")
				}
				if strings.Contains(e, want) {
					return e
				}
			case <-deadline:
				t.Fatalf("no event with %q", want)
			}
		}
	}
	wait("event: board")
	a := join(t, ts, s.Code, "Aiko")
	wait(`"name":"Aiko"`)
	do(t, "POST", ts.URL+proto.PathTick, a.Token, tick(1, "service-create", "init"))
	e := wait(`"current":"service-create"`)
	if !strings.HasPrefix(e, "event: learner") {
		t.Fatalf("event %q", e)
	}
	do(t, "POST", ts.URL+proto.PathHand, a.Token, proto.Hand{Question: "<b>why</b>"})
	e = wait("event: class")
	if !strings.Contains(e, `\u003cb\u003ewhy`) {
		t.Fatalf("hand event %q", e)
	}
}

func TestVerifyKeepsTheStep(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{})
	a := join(t, ts, s.Code, "Aiko")
	do(t, "POST", ts.URL+proto.PathTick, a.Token, tick(1, "tag", "init"))
	v := proto.Tick{Seq: 2, Verify: &proto.VerifyResult{OK: false, Failed: []string{"api: 2/3 <x>"}}}
	if r := do(t, "POST", ts.URL+proto.PathTick, a.Token, v); r.code != 200 {
		t.Fatalf("verify: %d", r.code)
	}
	l := s.Learners()[0]
	if l.Current != "tag" || l.Steps["init"] != "done" || l.Verify == nil || l.Verify.OK || l.Verify.Failed[0] != "api: 2/3 <x>" {
		t.Fatalf("after verify: %+v", l)
	}
}

func TestDownloadPointRangeAndCode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rel := filepath.Join(dir, ReleasesDir)
	os.MkdirAll(rel, 0o755)
	os.WriteFile(filepath.Join(rel, "swarmlab.tar.gz"), []byte("0123456789abcdef"), 0o644)
	os.WriteFile(filepath.Join(rel, "secret.txt"), []byte("not listed"), 0o644)
	if _, err := sumReleases(rel, func(string) {}); err != nil {
		t.Fatal(err)
	}
	// Listed only when the teacher's SHA256SUMS names it: drop secret.txt.
	sums := readSums(filepath.Join(rel, SumsFile))
	delete(sums, "secret.txt")
	writeSums(filepath.Join(rel, SumsFile), sums)
	s, ts := newTestServer(t, Options{Dir: dir})
	r := do(t, "GET", ts.URL+proto.PathFile+"releases/swarmlab.tar.gz", "", nil, proto.HeaderCode, strings.ToLower(s.Code), "Range", "bytes=10-")
	if r.code != 206 || r.body != "abcdef" {
		t.Fatalf("range with the class code: %d %q", r.code, r.body)
	}
	if r := do(t, "GET", ts.URL+proto.PathFile+"releases/swarmlab.tar.gz", "", nil, proto.HeaderCode, "WRONG"); r.code != 403 {
		t.Fatalf("wrong code: %d", r.code)
	}
	if r := do(t, "GET", ts.URL+proto.PathFile+"releases/secret.txt", "", nil, proto.HeaderCode, s.Code); r.code != 404 {
		t.Fatalf("an unlisted file: %d %q", r.code, r.body)
	}
}

func TestExportTimePerStep(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, ts := newTestServer(t, Options{Now: clock})
	a := join(t, ts, s.Code, "Aiko")
	do(t, "POST", ts.URL+proto.PathTick, a.Token, tick(1, "init"))
	now = now.Add(90 * time.Second)
	do(t, "POST", ts.URL+proto.PathTick, a.Token, tick(2, "tag", "init"))
	e := s.Export()
	if len(e.Learners) != 1 || e.Learners[0].Steps["init"].Seconds != 90 || !e.Learners[0].Steps["init"].Done || e.Completion["init"] != 1 || e.Completion["tag"] != 0 {
		t.Fatalf("export %+v", e)
	}
	r := do(t, "GET", ts.URL+"/api/teacher/export.csv", s.Secret, nil)
	lines := strings.Split(strings.TrimSpace(r.body), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "id,name,joined") || !strings.Contains(lines[1], ",Aiko,") || !strings.Contains(lines[1], "true,90") {
		t.Fatalf("csv:\n%s", r.body)
	}
}

// A hand raised with no question (the h key of 'tutorial --watch') takes
// the question of a later 'class hand "question"', kept over a restart;
// a hand that has a question keeps it.
func TestQuestionAddedToAHand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, ts := newTestServer(t, Options{Dir: dir})
	a := join(t, ts, s.Code, "Aiko")
	if r := do(t, "POST", ts.URL+proto.PathHand, a.Token, proto.Hand{}); r.code != 200 {
		t.Fatalf("hand: %d %s", r.code, r.body)
	}
	if r := do(t, "POST", ts.URL+proto.PathHand, a.Token, proto.Hand{}); r.code != 409 {
		t.Fatalf("a second hand with no question: %d", r.code)
	}
	if r := do(t, "POST", ts.URL+proto.PathHand, a.Token, proto.Hand{Question: "port 8000 <refused>"}); r.code != 200 {
		t.Fatalf("question: %d %s", r.code, r.body)
	}
	if r := do(t, "POST", ts.URL+proto.PathHand, a.Token, proto.Hand{Question: "another"}); r.code != 409 {
		t.Fatalf("a second question: %d", r.code)
	}
	if h := s.Learners()[0].Hand; h == nil || h.Question != "port 8000 <refused>" {
		t.Fatalf("hand %+v", h)
	}
	if hs := s.Board().Class.Hands; len(hs) != 1 || hs[0].Question != "port 8000 <refused>" {
		t.Fatalf("the board's hands: %+v", hs)
	}
	ts.Close()
	s.Close()
	s2, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if h := s2.Learners()[0].Hand; h == nil || h.Question != "port 8000 <refused>" {
		t.Fatalf("after a restart, hand %+v", h)
	}
}
