package checks

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// apiServer answers like the lab's api behind the ingress: "/" with the
// banner and /api/info with the replica that answered, taking turns among
// the replicas that visible() returns.
func apiServer(t *testing.T, visible func() []string) *httptest.Server {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			fmt.Fprintln(w, "The API service is running...")
			return
		}
		hs := visible()
		fmt.Fprintf(w, `{"hostname":%q}`, hs[int(n.Add(1))%len(hs)])
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCheckIngressWaitsForEveryReplica(t *testing.T) {
	defer func(d time.Duration) { ingressSettle = d }(ingressSettle)
	ingressSettle = 5 * time.Second
	var calls atomic.Int64
	srv := apiServer(t, func() []string {
		// The third replica shows up after the first round of requests.
		if calls.Add(1) > 30 {
			return []string{"a", "b", "c"}
		}
		return []string{"a", "b"}
	})
	detail, err := checkIngress(context.Background(), srv.URL, 3)
	if err != nil {
		t.Fatalf("a replica that appears late should be waited for: %v", err)
	}
	if !strings.Contains(detail, "3 replicas") {
		t.Errorf("detail %q", detail)
	}
}

func TestCheckIngressMissingReplica(t *testing.T) {
	defer func(d time.Duration) { ingressSettle = d }(ingressSettle)
	ingressSettle = 1500 * time.Millisecond
	srv := apiServer(t, func() []string { return []string{"a", "b"} })
	_, err := checkIngress(context.Background(), srv.URL, 3)
	if err == nil || !strings.Contains(err.Error(), "2 of 3 api replicas answered (a, b)") {
		t.Fatalf("want the missing replica named, got %v", err)
	}
}
