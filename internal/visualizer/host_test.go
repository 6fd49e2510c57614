package visualizer

import (
	"net/http"
	"testing"
)

// TestHostCheck: a page that rebound its DNS name to the lab's address
// cannot read the swarm; addresses, localhost and configured names can.
func TestHostCheck(t *testing.T) {
	t.Parallel()
	_, ts := startServer(t, Config{Source: NewMemorySource(demoState()), Hosts: []string{"classroom.local"}})
	for _, tc := range []struct {
		host, path string
		want       int
	}{
		{"attacker.example:9000", "/api/state", http.StatusMisdirectedRequest},
		{"attacker.example", "/api/events", http.StatusMisdirectedRequest},
		{"attacker.example", "/", http.StatusMisdirectedRequest},
		{"localhost:9000", "/api/state", http.StatusOK},
		{"127.0.0.1:9000", "/api/state", http.StatusOK},
		{"[::1]:9000", "/healthz", http.StatusOK},
		{"192.168.1.20:9000", "/api/state", http.StatusOK},
		{"Classroom.Local:9000", "/api/state", http.StatusOK},
	} {
		req, _ := http.NewRequest("GET", ts.URL+tc.path, nil)
		req.Host = tc.host
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Host %s GET %s: %d, want %d", tc.host, tc.path, resp.StatusCode, tc.want)
		}
	}
}

func TestHostsFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"VISUALIZER_HOSTS": "classroom.local, teacher.lan"}
	e, err := FromEnv(func(k string) string { return env[k] })
	if err != nil || len(e.Hosts) != 2 || e.Hosts[0] != "classroom.local" || e.Hosts[1] != "teacher.lan" {
		t.Fatalf("Hosts %q, %v", e.Hosts, err)
	}
	if e, _ := FromEnv(func(string) string { return "" }); len(e.Hosts) != 0 {
		t.Fatalf("default Hosts %q", e.Hosts)
	}
}
