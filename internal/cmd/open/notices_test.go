package open

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/class/client"
	"github.com/swarmlab/swarmlab/internal/class/proto"
	"github.com/swarmlab/swarmlab/internal/window"
)

func TestClassNoticesWithoutAClass(t *testing.T) {
	t.Setenv(client.HomeEnv, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	shown := 0
	if err := (classNotices{}).Follow(ctx, func(window.Notice) { shown++ }); err != nil || shown != 0 {
		t.Fatalf("Follow without a class: %v, %d shown", err, shown)
	}
	if ctx.Err() != nil {
		t.Fatal("Follow waited for a class that does not exist")
	}
}

func TestClassNoticesShowEachBroadcastOnce(t *testing.T) {
	t.Setenv(client.HomeEnv, t.TempDir())
	feedInterval = 10 * time.Millisecond
	defer func() { feedInterval = 3 * time.Second }()
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != proto.PathFeed || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		f := proto.Feed{Broadcast: "<b>stop</b> at stack deploy", BroadcastAt: at}
		if asked.Add(1) > 3 {
			f = proto.Feed{Broadcast: "go on", BroadcastAt: at.Add(time.Minute)}
		}
		json.NewEncoder(w).Encode(f)
	}))
	defer srv.Close()
	if err := client.Save(client.Membership{URL: srv.URL, Token: "tok", Name: "Aiko"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var got []window.Notice
	done := make(chan error)
	go func() {
		done <- (classNotices{}).Follow(ctx, func(n window.Notice) {
			got = append(got, n)
			if len(got) == 2 {
				cancel()
			}
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("Follow showed %d notices in 10 s", len(got))
	}
	if len(got) != 2 || got[0].Text != "<b>stop</b> at stack deploy" || got[1].Text != "go on" || asked.Load() < 4 {
		t.Fatalf("shown %+v after %d asks", got, asked.Load())
	}
}
