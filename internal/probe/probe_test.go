package probe

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsReplicasAndFailures(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		if i%5 == 0 {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, `{"hostname":"api-%d"}`, i%3)
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Options{URL: srv.URL, Count: 30, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 30 || res.Failures != 6 || res.Status[502] != 6 || res.Status[200] != 24 {
		t.Fatalf("got %+v", res)
	}
	if len(res.Hostnames) != 3 {
		t.Fatalf("hostnames = %v", res.Distinct())
	}
}

func TestRunCountsRefusedConnections(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	res, err := Run(context.Background(), Options{URL: url, Count: 3, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failures != 3 || len(res.Errors) != 3 {
		t.Fatalf("got %+v", res)
	}
}

func TestRunNeedsABound(t *testing.T) {
	if _, err := Run(context.Background(), Options{URL: "http://127.0.0.1:1"}); err == nil {
		t.Fatal("want an error without count or duration")
	}
}

func TestRunMeasuresLatencyAndConnects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("slow") {
			time.Sleep(20 * time.Millisecond)
		}
	}))
	defer srv.Close()
	var samples atomic.Int64
	res, err := Run(context.Background(), Options{URL: srv.URL + "?slow", Count: 4, NoKeepAlive: true,
		OnRequest: func(s Sample) {
			if s.Err == "" && s.Took >= 20*time.Millisecond && !s.Start.IsZero() {
				samples.Add(1)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Latency.N != 4 || res.Latency.P50 < 20*time.Millisecond || res.Latency.Max < res.Latency.P99 {
		t.Errorf("latency = %+v", res.Latency)
	}
	if res.Connect.N != 4 || res.Connect.Max <= 0 || res.Connect.Max > time.Second {
		t.Errorf("connects without keep-alive = %+v, want 4", res.Connect)
	}
	if samples.Load() != 4 {
		t.Errorf("OnRequest saw %d good samples, want 4", samples.Load())
	}
	res, _ = Run(context.Background(), Options{URL: srv.URL, Count: 5})
	if res.Connect.N != 1 {
		t.Errorf("connects with keep-alive = %d, want 1", res.Connect.N)
	}
}

func TestSummarize(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	p := Summarize(d)
	if p.N != 100 || p.P50 != 50*time.Millisecond || p.P99 != 99*time.Millisecond || p.Max != 100*time.Millisecond {
		t.Errorf("Summarize(1..100ms) = %+v", p)
	}
	if d[0] != 100*time.Millisecond {
		t.Error("Summarize sorted its argument")
	}
	if p := Summarize(d[:1]); p.P50 != 100*time.Millisecond || p.P99 != p.Max {
		t.Errorf("one sample: %+v", p)
	}
	if p := Summarize(nil); p.N != 0 || p.String() != "none" {
		t.Errorf("no samples: %+v", p)
	}
	for d, want := range map[time.Duration]string{312 * time.Microsecond: "312µs", 4200 * time.Microsecond: "4.2ms", 310 * time.Millisecond: "310ms", 1030 * time.Millisecond: "1.03s"} {
		if got := Short(d); got != want {
			t.Errorf("Short(%s) = %q, want %q", d, got, want)
		}
	}
}
