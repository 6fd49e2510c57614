package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"

	"github.com/swarmlab/swarmlab/internal/lab"
	"github.com/swarmlab/swarmlab/internal/probe"
	"github.com/swarmlab/swarmlab/internal/regclient"
)

// Goal is one of the tutorial's goals (本日のゴール), checked by machine.
type Goal struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Hint   string `json:"hint,omitempty"`
}

// Verify checks the tutorial's goals on a running lab.
func Verify(ctx context.Context, l *lab.Lab) []Goal {
	var goals []Goal
	ep, _ := l.Endpoints(ctx) // an engine that does not answer fails the first goal
	add := func(name string, err error, detail, hint string) {
		g := Goal{Name: name, OK: err == nil, Detail: detail}
		if err != nil {
			g.Detail, g.Hint = err.Error(), hint
		}
		goals = append(goals, g)
	}
	st, err := l.ReadStatus(ctx)
	if err != nil {
		add("Nodes Ready with one Leader", err, "", "create the lab with "+l.Config.Cmd("up"))
		return goals
	}
	nodesDetail, nodesErr := checkNodes(st)
	add("Nodes Ready with one Leader", nodesErr, nodesDetail, "start stopped nodes with "+l.Config.Cmd("start")+" (or "+l.Config.Cmd("node start NAME")+"), or repair with "+l.Config.Cmd("up"))

	want := []string{"haproxy", "swtest/api", "swtest/nginx", "visualizer"}
	repos, err := regclient.Catalog(ctx, ep.URL(ep.Ports.Registry))
	if err == nil {
		var missing []string
		for _, w := range want {
			if !contains(repos, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) > 0 {
			err = fmt.Errorf("missing %s (has %s)", strings.Join(missing, ", "), strings.Join(repos, ", "))
		}
	}
	add("Registry holds the 4 images", err, strings.Join(want, ", "), l.Config.Cmd("up")+" pushes them again")

	err = nil
	detail := ""
	byName := map[string]lab.ServiceState{}
	for _, s := range st.Services {
		byName[s.Name] = s
	}
	for _, name := range []string{"swtest_nginx", "swtest_api"} {
		s, ok := byName[name]
		switch {
		case !ok:
			err = fmt.Errorf("%s is not deployed", name)
		case s.Running != 3 || s.Desired != 3:
			err = fmt.Errorf("%s runs %d/%d", name, s.Running, s.Desired)
		case s.OnManager > 0:
			err = fmt.Errorf("%s has %d tasks on a manager", name, s.OnManager)
		}
		if err != nil {
			break
		}
		detail += fmt.Sprintf("%s 3/3 ", name)
	}
	add("swtest_nginx and swtest_api 3/3 on workers", err, strings.TrimSpace(detail)+" on workers only", "deploy it with "+l.Config.Cmd("docker stack deploy -c /stack/webapi.yml swtest")+" or "+l.Config.Cmd("up"))

	add("swtest_net is an attachable overlay", checkOverlay(ctx, l), "driver overlay, attachable", l.Config.Cmd("up")+" creates it")

	if ep.Ports.Visualizer != 0 {
		err := checkVisualizer(ctx, ep.URL(ep.Ports.Visualizer), st)
		add("Visualizer shows every node", err, ep.URL(ep.Ports.Visualizer)+"/", "deploy it with "+l.Config.Cmd("docker stack deploy -c /stack/visualizer.yml visualizer")+" or "+l.Config.Cmd("up"))
	}
	if ep.Ports.Ingress != 0 {
		detail, err := checkIngress(ctx, ep.URL(ep.Ports.Ingress), byName["swtest_api"].Running)
		add("Ingress serves the API from every replica", err, detail, "deploy it with "+l.Config.Cmd("docker stack deploy -c /stack/ingress.yml ingress")+" or "+l.Config.Cmd("up"))
	}
	if ep.Ports.Stats != 0 {
		add("Stats page needs its password", checkStats(ctx, ep.URL(ep.Ports.Stats)), "401 without credentials, 200 with stats:stats", "the ingress serves it on manager:1936; is the ingress stack deployed?")
	}
	return goals
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func checkNodes(st lab.Status) (string, error) {
	if st.SwarmErr != "" {
		return "", fmt.Errorf("%s", st.SwarmErr)
	}
	var bad []string
	leaders := 0
	for _, n := range st.Nodes {
		if n.State != "ready" {
			bad = append(bad, fmt.Sprintf("%s is %s (container %s)", n.Name, n.State, n.Container))
		}
		if n.Leader {
			leaders++
		}
	}
	if len(bad) > 0 {
		return "", fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	if leaders != 1 {
		return "", fmt.Errorf("%d leaders", leaders)
	}
	return fmt.Sprintf("%d nodes Ready, 1 Leader", len(st.Nodes)), nil
}

func checkOverlay(ctx context.Context, l *lab.Lab) error {
	mgr, _, err := l.Manager(ctx)
	if err != nil {
		return err
	}
	defer mgr.Close()
	nets, err := mgr.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", lab.OverlayNetwork))})
	if err != nil {
		return err
	}
	for _, n := range nets {
		if n.Name != lab.OverlayNetwork {
			continue
		}
		if n.Driver != "overlay" || !n.Attachable {
			return fmt.Errorf("%s has driver %s, attachable %v", lab.OverlayNetwork, n.Driver, n.Attachable)
		}
		return nil
	}
	return fmt.Errorf("%s does not exist", lab.OverlayNetwork)
}

func checkVisualizer(ctx context.Context, base string, st lab.Status) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/state", nil)
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var state struct {
		Error string `json:"error"`
		Nodes []struct {
			Hostname string `json:"hostname"`
		} `json:"nodes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&state); err != nil {
		return fmt.Errorf("%s/api/state: %w", base, err)
	}
	if state.Error != "" {
		return fmt.Errorf("the visualizer reports: %s", state.Error)
	}
	shown := map[string]bool{}
	for _, n := range state.Nodes {
		shown[n.Hostname] = true
	}
	var missing []string
	for _, n := range st.Nodes {
		if !shown[n.Name] {
			missing = append(missing, n.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("it does not show %s", strings.Join(missing, ", "))
	}
	return nil
}

// ingressSettle bounds how long verify waits for every replica to answer.
var ingressSettle = 10 * time.Second

func checkIngress(ctx context.Context, base string, replicas int) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", err
	}
	var buf [256]byte
	n, _ := resp.Body.Read(buf[:])
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(buf[:n]), "The API service is running...") {
		return "", fmt.Errorf("GET %s/ answered %s %q", base, resp.Status, strings.TrimSpace(string(buf[:n])))
	}
	// A replica that just started reaches the proxies' DNS when the swarm's
	// service discovery spreads it (seconds on a busy machine), so fewer
	// replicas than expected are given a few more tries.
	var res probe.Result
	for deadline := time.Now().Add(ingressSettle); ; {
		r, err := probe.Run(ctx, probe.Options{URL: base + "/api/info", Count: 10 * max(replicas, 1), Concurrency: 2})
		if err != nil {
			return "", err
		}
		res = r
		if res.Failures > 0 || len(res.Hostnames) >= replicas || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(time.Second):
		}
	}
	if res.Failures > 0 {
		return "", fmt.Errorf("%d of %d requests failed: %s", res.Failures, res.Requests, res.Errors[0])
	}
	if len(res.Hostnames) < replicas || replicas == 0 {
		hs := res.Distinct()
		sort.Strings(hs)
		return "", fmt.Errorf("%d of %d api replicas answered (%s)", len(res.Hostnames), replicas, strings.Join(hs, ", "))
	}
	return fmt.Sprintf("%s/ answers from %d replicas", base, len(res.Hostnames)), nil
}

func checkStats(ctx context.Context, base string) error {
	do := func(auth bool) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
		if auth {
			req.SetBasicAuth("stats", "stats")
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	code, err := do(false)
	if err != nil {
		return err
	}
	if code != http.StatusUnauthorized {
		return fmt.Errorf("without credentials it answered %d, not 401", code)
	}
	if code, err = do(true); err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("with stats:stats it answered %d (was STATS_AUTH changed?)", code)
	}
	return nil
}

// httpClient bounds every request the checks make to the lab's servers.
var httpClient = &http.Client{Timeout: 5 * time.Second}

// firstLine is an error's first line, for a one-line result.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
