package conformance

import (
	"fmt"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// B6: one URL, one route. The ingress runs in discovery mode in front of
// three services: admin (VIRTUAL_HOST="*/admin/*"), web (no VIRTUAL_HOST:
// the default route) and whoami (VIRTUAL_HOST=whoami.local). Every way of
// sending the same URL must reach the same service.
func TestOneURLOneRoute(t *testing.T) {
	labs := map[string]*lab{ingress: startRoutingLab(t, ingress)}
	if withHAProxy {
		labs[haproxy] = startRoutingLab(t, haproxy)
	}
	forEach := func(t *testing.T, fn func(c *check, l *lab)) {
		for _, target := range targets() {
			if l := labs[target]; l != nil {
				t.Run(target, func(t *testing.T) { fn(newCheck(t, target), l) })
			}
		}
	}
	paths := []struct{ name, path, want string }{
		{"B6-path-admin-x", "/admin/x", "admin"},
		{"B6-path-x", "/x", "web"},
		{"B6-path-percent-61dmin-x", "/%61dmin/x", ""},
		{"B6-path-double-slash-admin-x", "//admin/x", ""},
		{"B6-path-x-dot-dot-admin-x", "/x/../admin/x", ""},
		{"B6-path-admin-percent-2F-x", "/admin%2Fx", ""},
		{"B6-path-ADMIN-x", "/ADMIN/x", ""},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			forEach(t, func(c *check, l *lab) {
				routes := map[string]string{}
				var seen []string
				for _, v := range routeVariants {
					got := v.send(c.t, l.addr, p.path)
					routes[v.name] = got
					if !slices.Contains(seen, got) {
						seen = append(seen, got)
					}
				}
				switch {
				case len(seen) > 1:
					c.fail("%s takes several routes: %v", p.path, routes)
				case p.want != "" && seen[0] != p.want:
					c.fail("%s reaches %s, want %s", p.path, seen[0], p.want)
				default:
					c.note("all five ways → %s", seen[0])
				}
			})
		})
	}
	for _, host := range []string{"whoami.local", "WHOAMI.LOCAL"} {
		t.Run("B6-host-"+host, func(t *testing.T) {
			forEach(t, func(c *check, l *lab) {
				r, err := dial(c.t, l.addr).do("GET / HTTP/1.1\r\nHost: "+host+"\r\n\r\n", "GET")
				if got := serviceOf(r, err); got != "whoami" {
					c.fail("Host %s reaches %s, want whoami", host, got)
				} else {
					c.note("→ whoami")
				}
			})
		})
	}
}

// routeVariants are the ways of sending one URL.
var routeVariants = []struct {
	name string
	send func(t *testing.T, addr, path string) string
}{
	{"GET", func(t *testing.T, addr, path string) string {
		return serviceOf(dial(t, addr).do(request("GET", path), "GET"))
	}},
	{"HEAD", func(t *testing.T, addr, path string) string {
		return serviceOf(dial(t, addr).do(request("HEAD", path), "HEAD"))
	}},
	{"POST", func(t *testing.T, addr, path string) string {
		return serviceOf(dial(t, addr).do(request("POST", path, "Content-Length: 4")+"data", "POST"))
	}},
	{"HTTP/1.0", func(t *testing.T, addr, path string) string {
		return serviceOf(dial(t, addr).do("GET "+path+" HTTP/1.0\r\nHost: conformance.test\r\n\r\n", "GET"))
	}},
	{"pipelined", func(t *testing.T, addr, path string) string {
		cl := dial(t, addr)
		if err := cl.send(request("GET", "/x") + request("GET", path)); err != nil {
			return "error: " + err.Error()
		}
		if _, err := cl.read("GET"); err != nil {
			return "error: " + err.Error()
		}
		return serviceOf(cl.read("GET"))
	}},
}

// serviceOf names the service that answered, or what came instead.
func serviceOf(r *response, err error) string {
	switch {
	case err != nil:
		return "error: " + err.Error()
	case r.status != 200:
		return fmt.Sprintf("status %d", r.status)
	}
	return r.fields.get("X-Service")
}

// startRoutingLab starts the three services' backends on 127.0.0.2-4 and
// the target in front of them.
func startRoutingLab(t *testing.T, target string) *lab {
	admin := startBackend(t, "127.0.0.2:0", "admin", nil)
	web := startBackend(t, "127.0.0.3:0", "web", nil)
	whoami := startBackend(t, "127.0.0.4:0", "whoami", nil)
	l := &lab{addr: freeAddr(t, "127.0.0.1"), backends: []*backend{admin, web, whoami}}
	switch target {
	case ingress:
		engine := startEngine(t, []fakeService{
			{"admin", admin.addr, []string{"VIRTUAL_HOST=*/admin/*"}},
			{"web", web.addr, nil},
			{"whoami", whoami.addr, []string{"VIRTUAL_HOST=whoami.local"}},
		})
		cmd := exec.Command(bin, "ingress", "--listen", l.addr, "--stats-port", "0")
		l.pid = run(t, cmd, l.addr, []string{"DOCKER_HOST=tcp://" + engine, "INGRESS_NETWORKS=lab"}, true)
	case haproxy:
		// The ingress's order: exact hosts, then host-less patterns, then the default.
		routing := `acl whoami hdr(host) -i whoami.local
    acl admin path_beg /admin/
    use_backend whoami if whoami
    use_backend admin if admin
    default_backend web
`
		cfg := haproxyConfig(l.addr, routing, map[string][]string{"admin": {admin.addr}, "web": {web.addr}, "whoami": {whoami.addr}})
		l.pid = run(t, haproxyCommand(t, cfg), l.addr, nil, false)
	}
	// Discovery is done once the three routes answer.
	ready := eventually(10*time.Second, func() bool {
		a, _ := dial(t, l.addr).do(request("GET", "/admin/x"), "GET")
		w, _ := dial(t, l.addr).do("GET / HTTP/1.1\r\nHost: whoami.local\r\n\r\n", "GET")
		x, _ := dial(t, l.addr).do(request("GET", "/x"), "GET")
		return a != nil && w != nil && x != nil && a.fields.get("X-Service") == "admin" &&
			w.fields.get("X-Service") == "whoami" && x.fields.get("X-Service") == "web"
	})
	if !ready {
		t.Fatalf("%s: the routes to admin, whoami and web are not all there after 10s", target)
	}
	return l
}
