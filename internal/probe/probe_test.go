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
