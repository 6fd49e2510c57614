package tutorial

// The checks of the stack chapters and of the cluster's failover and
// lifecycle.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/swarmlab/swarmlab/internal/lab"
)

func checkNetwork(s *State, e *Eval) Result {
	n, ok := s.Swarm.Network(lab.OverlayNetwork)
	switch {
	case ok && n.Driver == "overlay" && n.Attachable:
		return Result{Done: true, Detail: L{"swtest_net: overlay, attachable", "swtest_net: overlay、attachable"}}
	case ok && n.Driver != "overlay":
		return Result{Hint: Lf("swtest_net was created with the %s driver, which stays on the manager: type 'docker network rm swtest_net', then create it again with --driver=overlay",
			"swtest_net が %s ドライバで作成されています(manager内だけのネットワークです)。'docker network rm swtest_net' の後、--driver=overlay で作り直してください", n.Driver)}
	case ok:
		return Result{Hint: L{"swtest_net was created without --attachable: type 'docker network rm swtest_net', then, once 'docker network ls' no longer lists it, create it again with --attachable",
			"swtest_net が --attachable なしで作成されています。'docker network rm swtest_net' の後、'docker network ls' に表示されなくなってから --attachable を付けて作り直してください"}}
	}
	r := Result{Undone: s.Swarm != nil}
	if s.Swarm != nil {
		for _, n := range s.Swarm.Networks {
			if n.Name != "ingress" && strings.Contains(strings.ReplaceAll(n.Name, "-", "_"), "swtest") && !strings.HasSuffix(n.Name, "_default") {
				r.Hint = Lf("the network is called %s; the stack files use swtest_net", "ネットワーク名が %s になっています。stackファイルでは swtest_net を使います", n.Name)
			}
		}
	}
	return r
}

// webapi are the services of the handout's webapi.yml, by their names in it.
var webapi = []string{"nginx", "api"}

func checkStackDeploy(s *State, e *Eval) Result {
	if s.Swarm == nil {
		return Result{}
	}
	var parts []string
	var hint L
	converged, found := true, 0
	for _, name := range webapi {
		svc, ok := s.Swarm.Service("swtest_" + name)
		if !ok {
			converged = false
			continue
		}
		found++
		running, onManager := svc.Running(s.Swarm.Nodes)
		parts = append(parts, fmt.Sprintf("%s %d/%d", svc.Name, running, svc.Replicas))
		switch {
		case onManager > 0:
			hint = Lf("%[1]s runs %[2]d task(s) on the manager: webapi.yml's placement constraint 'node.role != manager' is missing; put it back and type the deploy again",
				"%[1]sのタスクが%[2]d個managerで動いています。webapi.ymlの配置制約 'node.role != manager' がありません。元に戻して、もう一度デプロイしてください", svc.Name, onManager)
			converged = false
		case running < svc.Replicas || svc.Replicas == 0:
			converged = false
			if hint.Empty() {
				hint = taskError(svc)
			}
		}
	}
	if found == 0 {
		r := Result{Undone: true}
		if other := otherStack(s); other != "" {
			r.Hint = Lf("the stack was deployed as %[1]s; nginx proxies to swtest_api, so deploy it as swtest: type 'docker stack rm %[1]s', then 'docker stack deploy -c /stack/webapi.yml swtest'",
				"stackが %[1]s としてデプロイされています。nginxは swtest_api に転送するため、swtest としてデプロイしてください。'docker stack rm %[1]s' の後、'docker stack deploy -c /stack/webapi.yml swtest' を入力してください", other)
		} else if _, ok := s.Swarm.Network(lab.OverlayNetwork); !ok {
			r.Hint = L{"create swtest_net first: the stack file needs it", "先に swtest_net を作成してください。stackファイルで使います"}
		}
		return r
	}
	detail := L{En: strings.Join(parts, ", "), Ja: strings.Join(parts, "、")}
	return Result{Done: converged, Detail: detail, Hint: hint}
}

// otherStack is the name of a stack deployed from webapi.yml under another
// name, if there is one.
func otherStack(s *State) string {
	for _, svc := range s.Swarm.Services {
		if svc.Stack != "" && svc.Stack != "swtest" && svc.Name == svc.Stack+"_api" && repoOf(svc.Image) == apiImage {
			return svc.Stack
		}
	}
	return ""
}

// servicesOf lists the services that run an image of the lab registry.
func servicesOf(s *State, repo string) []Service {
	var out []Service
	if s.Swarm == nil {
		return out
	}
	for _, svc := range s.Swarm.Services {
		if repoOf(svc.Image) == "registry:5000/"+repo {
			out = append(out, svc)
		}
	}
	return out
}

func checkVisualizer(s *State, e *Eval) Result {
	url := fmt.Sprintf("http://localhost:%d/", e.Env.Ports.Visualizer)
	// A removed visualizer answers a few seconds more while it drains.
	svcs := servicesOf(s, "visualizer")
	if len(svcs) == 0 {
		return Result{Undone: s.Swarm != nil}
	}
	if s.Visualizer.OK() {
		return Result{Done: true, Detail: Lf("%s answers", "%s が応答します", url)}
	}
	return Result{Detail: Lf("%s does not answer yet", "%s はまだ応答しません", url), Hint: taskError(svcs[0])}
}

const appText = "The API service is running..."

func checkIngress(s *State, e *Eval) Result {
	url := fmt.Sprintf("http://localhost:%d/", e.Env.Ports.Ingress)
	svcs := servicesOf(s, "haproxy")
	if len(svcs) == 0 {
		return Result{Undone: s.Swarm != nil}
	}
	if s.App.OK() && strings.Contains(s.App.Body, appText) {
		return Result{Done: true, Detail: Lf("%s answers '%s'", "%s が「%s」と応答します", url, appText)}
	}
	r := Result{Detail: Lf("%s does not answer yet", "%s はまだ応答しません", url), Hint: taskError(svcs[0])}
	if s.App.Status != 0 {
		r.Detail = Lf("%s answers %d", "%s が %d を返します", url, s.App.Status)
		if len(s.Swarm.StackServices("swtest")) == 0 {
			r.Hint = L{"the ingress has nothing to send requests to: deploy the swtest stack", "ingressの転送先がありません。swtest stackをデプロイしてください"}
		}
	}
	return r
}

func checkWorkerStop(s *State, e *Eval) Result {
	w := e.Env.worker01()
	if s.Containers[w].Running {
		r := Result{}
		if n, ok := s.Swarm.Node(w); ok && n.Availability == "drain" {
			r.Hint = Lf("%[1]s is drained, which moves its tasks too, but the handout stops the container: type 'docker node update --availability active %[1]s' on the manager, then 'docker stop %[2]s' on the host",
				"%[1]sがdrainされています。ハンドアウトではコンテナを停止します。managerで 'docker node update --availability active %[1]s' の後、ホストで 'docker stop %[2]s' を入力してください", w, e.Env.Container(w))
		}
		for _, other := range append([]string{"manager"}, e.Env.Workers...) {
			if c, ok := s.Containers[other]; ok && !c.Running && other != w {
				r.Hint = Lf("%[1]s is stopped; the handout stops %[2]s: type 'docker start %[3]s', then 'docker stop %[4]s'",
					"%[1]sが停止しています。ハンドアウトでは%[2]sを停止します。'docker start %[3]s' の後、'docker stop %[4]s' を入力してください", other, w, e.Env.Container(other), e.Env.Container(w))
			}
		}
		return r
	}
	if n, ok := s.Swarm.Node(w); !ok || n.State != "down" {
		return Result{Detail: Lf("%s is stopped; the swarm marks it Down after a few missed heartbeats", "%sが停止しました。数回ハートビートが途切れるとswarmがDownにします", w)}
	}
	var parts []string
	done := true
	for _, name := range webapi {
		svc, ok := s.Swarm.Service("swtest_" + name)
		running := 0
		for _, t := range svc.Tasks {
			if t.State == "running" && t.Node != w {
				running++
			}
		}
		parts = append(parts, fmt.Sprintf("%s %d/%d", svc.Name, running, svc.Replicas))
		if !ok || running < svc.Replicas {
			done = false
		}
	}
	return Result{Done: done, Detail: Lf("%s is Down; %s", "%sがDownです。%s", w, strings.Join(parts, ", "))}
}

func checkLabRestart(s *State, e *Eval) Result {
	mgr, w := s.Containers["manager"], s.Containers[e.Env.worker01()]
	restarted := !mgr.FinishedAt.IsZero() && mgr.StartedAt.After(mgr.FinishedAt) && mgr.StartedAt.After(w.FinishedAt)
	if !e.Done("worker-stop") || !restarted {
		if w.Running && e.Done("worker-stop") && !restarted {
			return Result{Hint: Lf("%s was started on its own; this step stops and starts the whole lab: type '%s', then '%s'",
				"%sだけが起動されました。このステップでは環境全体を停止・起動します。'%s' の後、'%s' を入力してください", e.Env.worker01(), e.Env.Swarmlab("stop"), e.Env.Swarmlab("start"))}
		}
		return Result{}
	}
	var stopped []string
	for name, c := range s.Containers {
		if !c.Running {
			stopped = append(stopped, name)
		}
	}
	slices.Sort(stopped)
	if len(stopped) > 0 {
		return Result{Detail: Lf("not running yet: %s", "まだ起動していません: %s", strings.Join(stopped, ", "))}
	}
	ready := 0
	for _, n := range append([]string{"manager"}, e.Env.Workers...) {
		if node, ok := s.Swarm.Node(n); ok && node.State == "ready" {
			ready++
		}
	}
	if ready < len(e.Env.Workers)+1 {
		return Result{Detail: Lf("%d of %d nodes Ready", "%d/%dノードがReadyです", ready, len(e.Env.Workers)+1)}
	}
	if r := checkStackDeploy(s, e); !r.Done {
		return Result{Detail: r.Detail}
	}
	return Result{Done: true, Detail: L{"the lab is back: every node Ready, swtest 3/3", "環境が元に戻りました: 全ノードReady、swtest 3/3"}}
}
