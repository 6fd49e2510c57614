package conformance

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The fake Docker Engine API: what the ingress's discovery reads, over
// TCP (DOCKER_HOST=tcp://...), for services whose single task listens on a
// loopback address of its own.

// fakeService is a swarm service with one running task at addr (ip:port)
// on the network "lab"; env is added to SERVICE_PORTS=<port>.
type fakeService struct {
	name, addr string
	env        []string
}

// startEngine serves the Engine API for services and returns its address.
func startEngine(t *testing.T, services []fakeService) string {
	t.Helper()
	var svcs, tasks []any
	for _, s := range services {
		ip, port, _ := strings.Cut(s.addr, ":")
		env := append([]string{"SERVICE_PORTS=" + port}, s.env...)
		svcs = append(svcs, map[string]any{
			"ID": "svc-" + s.name,
			"Spec": map[string]any{
				"Name": s.name,
				"TaskTemplate": map[string]any{
					"ContainerSpec": map[string]any{"Image": "conformance/" + s.name, "Env": env},
					"Networks":      []any{map[string]any{"Target": "net-lab"}},
				},
			},
		})
		tasks = append(tasks, map[string]any{
			"ID": "task-" + s.name, "ServiceID": "svc-" + s.name, "DesiredState": "running",
			"Status": map[string]any{"State": "running"},
			"NetworksAttachments": []any{map[string]any{
				"Network":   map[string]any{"ID": "net-lab", "Spec": map[string]any{"Name": "lab"}},
				"Addresses": []string{ip + "/8"},
			}},
		})
	}
	const version = "1.47"
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", version)
		w.Header().Set("Content-Type", "application/json")
		// Paths come as /_ping or /v1.47/services.
		switch p := r.URL.Path; {
		case p == "/_ping":
			w.Write([]byte("OK"))
		case strings.HasSuffix(p, "/version"):
			json.NewEncoder(w).Encode(map[string]string{"ApiVersion": version, "MinAPIVersion": "1.24", "Os": "linux", "Version": "28.5.2"})
		case strings.HasSuffix(p, "/services"):
			json.NewEncoder(w).Encode(svcs)
		case strings.HasSuffix(p, "/tasks"):
			json.NewEncoder(w).Encode(tasks)
		case strings.HasSuffix(p, "/events"): // held open: no event ever comes
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-done:
			}
		default:
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"message": "not faked: " + p})
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) }) // before srv.Close, which waits for handlers
	return srv.Listener.Addr().String()
}
