package tutorial

// The checks of the swarm chapters: the swarm, the registry, the service.
// Each reads only the State, and says what went wrong when the state shows it.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/swarmlab/swarmlab/internal/lab"
)

// Eval is what a check may know besides the state: the env, and which of
// the steps before it were found done.
type Eval struct {
	Env  Env
	done map[string]bool
}

// Done reports whether an earlier step was found done.
func (e *Eval) Done(id string) bool { return e.done[id] }

const apiImage = "registry:5000/swtest/api"

func checkInit(s *State, e *Eval) Result {
	if s.Manager.SwarmState == "active" && s.Manager.IsManager {
		return Result{Done: true, Detail: L{"the manager manages the swarm", "managerでswarmが起動しています"}}
	}
	r := Result{Undone: s.Manager.Reachable && s.Manager.SwarmState == "inactive"}
	if s.Manager.SwarmState == "active" {
		r.Hint = L{"the manager joined another swarm as a worker: on the manager type 'docker swarm leave --force', then 'docker swarm init'",
			"managerが別のswarmにworkerとして参加しています。managerで 'docker swarm leave --force' の後に 'docker swarm init' を入力してください"}
	}
	for _, w := range e.Env.Workers {
		if s.Workers[w].IsManager {
			r.Hint = Lf("'docker swarm init' was typed on %[1]s, not on the manager: on %[1]s type 'docker swarm leave --force', then 'docker swarm init' on the manager",
				"'docker swarm init' がmanagerではなく%[1]sで入力されています。%[1]sで 'docker swarm leave --force' を入力し、managerで 'docker swarm init' を入力してください", w)
		}
	}
	return r
}

func checkJoin(w string) func(*State, *Eval) Result {
	return func(s *State, e *Eval) Result {
		n, member := s.Swarm.Node(w)
		switch {
		case member && n.Role == "worker":
			return Result{Done: true, Detail: Lf("%s is a worker of the swarm (%s)", "%sはswarmのworkerです(%s)", w, n.State)}
		case member:
			return Result{Hint: Lf("%[1]s joined as a manager (with the manager's token): on the manager type 'docker node demote %[1]s'",
				"%[1]sがmanagerとして参加しています(managerのトークンを使いました)。managerで 'docker node demote %[1]s' を入力してください", w)}
		}
		r := Result{Undone: s.Swarm != nil}
		eng := s.Workers[w]
		switch {
		case s.Swarm == nil:
		case eng.SwarmState == "active" && eng.IsManager:
			r.Hint = Lf("%[1]s runs a swarm of its own ('docker swarm init' was typed there): on %[1]s type 'docker swarm leave --force', then the join command",
				"%[1]sで別のswarmが作られています('docker swarm init' が入力されました)。%[1]sで 'docker swarm leave --force' の後、参加コマンドを入力してください", w)
		case eng.SwarmState == "active":
			r.Hint = Lf("%[1]s is a member of another swarm: on %[1]s type 'docker swarm leave --force', then the join command again",
				"%[1]sは別のswarmに参加しています。%[1]sで 'docker swarm leave --force' の後、参加コマンドをもう一度入力してください", w)
		case eng.SwarmState == "pending" || eng.SwarmState == "error":
			r.Hint = Lf("%s cannot reach the manager: check the address at the end of the join command (%s)",
				"%sからmanagerに接続できません。参加コマンドの最後のアドレスを確認してください(%s)", w, s.Swarm.ManagerAddr)
		}
		return r
	}
}

// handoutRepos are the registry's repositories the stack files pull.
func handoutRepos() []string {
	var out []string
	for _, img := range lab.HandoutImages {
		out = append(out, img.Repo)
	}
	return out
}

func checkTag(s *State, e *Eval) Result {
	cfg := lab.Config{Ports: e.Env.Ports}
	var missing []string
	var hints []L
	for _, img := range lab.HandoutImages {
		refs := cfg.HostRegistryRefs(img.Repo)
		if s.HostImages[refs[0]] || s.HostImages[refs[1]] {
			continue
		}
		missing = append(missing, refs[0])
		if !s.HostImages[img.Host+":latest"] {
			hints = append(hints, Lf("%s:latest is not on the host: 'swarmlab up --hands-on' makes it again", "ホストに %s:latest がありません。'swarmlab up --hands-on' で作り直せます", img.Host))
		}
	}
	n := len(lab.HandoutImages)
	r := Result{Done: len(missing) == 0, Detail: Lf("%d of %d tagged", "%d/%d個タグ付け済み", n-len(missing), n)}
	if r.Done {
		return r
	}
	if len(missing) < n {
		r.Detail = Lf("%d of %d tagged; missing %s", "%d/%d個タグ付け済み。未: %s", n-len(missing), n, strings.Join(missing, ", "))
		// A learner who typed the handout's names got "No such image".
		for _, img := range lab.HandoutImages {
			if img.Handout != "" && slices.Contains(missing, cfg.HostRegistryRefs(img.Repo)[0]) {
				hints = append(hints, Lf("swarmlab's image for %s is %s:latest, not the handout's %s", "%[1]sにはハンドアウトの %[3]s ではなく、swarmlabのイメージ %[2]s:latest を使います", img.Repo, img.Host, img.Handout))
			}
		}
	}
	if wrong := wrongRegistryRefs(s, cfg); len(wrong) > 0 {
		hints = append(hints, Lf("%s: not a name the stack files pull (they pull registry:5000/{%s}:latest)", "%s はstackファイルが使う名前ではありません(stackファイルは registry:5000/{%s}:latest を使います)", strings.Join(wrong, ", "), strings.Join(handoutRepos(), ",")))
	}
	r.Hint = joinL(hints)
	return r
}

// wrongRegistryRefs are host tags for the lab registry that no stack file pulls.
func wrongRegistryRefs(s *State, cfg lab.Config) []string {
	var out []string
	for ref := range s.HostImages {
		for _, prefix := range []string{fmt.Sprintf("localhost:%d/", cfg.Ports.Registry), fmt.Sprintf("127.0.0.1:%d/", cfg.Ports.Registry)} {
			rest, ok := strings.CutPrefix(ref, prefix)
			if ok && !(slices.Contains(handoutRepos(), repoOf(rest)) && strings.HasSuffix(rest, ":latest")) {
				out = append(out, ref)
			}
		}
	}
	slices.Sort(out)
	return out
}

func checkPush(s *State, e *Eval) Result {
	if s.Registry == nil {
		return Result{Detail: L{"the registry does not answer", "レジストリが応答しません"}}
	}
	var missing, wrongTag []string
	for _, repo := range handoutRepos() {
		tags, ok := s.Registry[repo]
		switch {
		case !ok:
			missing = append(missing, repo)
		case !slices.Contains(tags, "latest"):
			missing = append(missing, repo)
			wrongTag = append(wrongTag, repo+":"+strings.Join(tags, ","))
		}
	}
	n := len(handoutRepos())
	r := Result{Done: len(missing) == 0, Undone: len(missing) > 0, Detail: Lf("%d of %d in the registry", "%d/%d個レジストリに格納済み", n-len(missing), n)}
	if r.Done {
		return r
	}
	var extra []string
	for repo := range s.Registry {
		if !slices.Contains(handoutRepos(), repo) {
			extra = append(extra, repo)
		}
	}
	slices.Sort(extra)
	var hints []L
	if len(extra) > 0 {
		hints = append(hints, Lf("the registry holds %s, which no stack file pulls; push %s under the names above", "レジストリに %s がありますが、stackファイルでは使いません。上の名前で %s をpushしてください", strings.Join(extra, ", "), strings.Join(missing, ", ")))
	}
	if len(wrongTag) > 0 {
		hints = append(hints, Lf("in the registry as %s: the stack files pull the tag latest", "レジストリには %s としてあります。stackファイルはタグ latest を使います", strings.Join(wrongTag, "; ")))
	}
	r.Hint = joinL(hints)
	return r
}

func checkPull(s *State, e *Eval) Result {
	w := e.Env.worker01()
	ref := apiImage + ":latest"
	if s.Workers[w].Images[ref] {
		return Result{Done: true, Detail: Lf("%s holds %s", "%sに %s があります", w, ref)}
	}
	r := Result{Unseen: !s.Workers[w].Reachable}
	var elsewhere []string
	for name, eng := range s.Workers {
		if name != w && eng.Images[ref] {
			elsewhere = append(elsewhere, name)
		}
	}
	if s.Manager.Images[ref] {
		elsewhere = append(elsewhere, "manager")
	}
	slices.Sort(elsewhere)
	switch {
	case len(elsewhere) > 0:
		r.Hint = Lf("pulled on %[1]s, not on %[2]s: open %[2]s's CLI (docker exec -it %[3]s sh) and pull there", "%[2]sではなく%[1]sでpullされています。%[2]sのCLI(docker exec -it %[3]s sh)でpullしてください", strings.Join(elsewhere, ", "), w, e.Env.Container(w))
	case strings.Contains(s.PullError, "localhost") || strings.Contains(s.PullError, "127.0.0.1"):
		r.Hint = Lf("%s tried localhost:5000, which inside a node is the node itself; the registry is registry:5000", "%sで localhost:5000 が使われました。ノードの中では localhost はノード自身です。レジストリは registry:5000 です", w)
	case s.PullError != "":
		r.Hint = Lf("%s could not pull: %s", "%sでpullできませんでした: %s", w, s.PullError)
	}
	return r
}

func checkServiceCreate(s *State, e *Eval) Result {
	api, ok := s.Swarm.Service("api")
	if !ok {
		return Result{Hint: otherAPIService(s)}
	}
	if r, bad := wrongAPI(api); bad {
		return r
	}
	running, _ := api.Running(s.Swarm.Nodes)
	if !hasPort(api, 8000, 8080) {
		return Result{Hint: L{"api was created without --publish 8000:8080: type 'docker service update --publish-add 8000:8080 api'", "apiが --publish 8000:8080 なしで作成されています。'docker service update --publish-add 8000:8080 api' を入力してください"}}
	}
	if running == 0 {
		return Result{Detail: L{"api has no running task yet", "apiのタスクはまだ起動していません"}, Hint: taskError(api)}
	}
	return Result{Done: true, Detail: Lf("api runs %d/%d", "apiが %d/%d 起動しています", running, api.Replicas)}
}

// wrongAPI explains a service api that does not run the handout's image, or
// publishes its port in host mode.
func wrongAPI(api Service) (Result, bool) {
	if repo := repoOf(api.Image); repo != apiImage {
		if strings.HasPrefix(repo, "localhost") || strings.HasPrefix(repo, "127.0.0.1") {
			return Result{Hint: L{"api runs " + api.Image + ": inside the nodes localhost is the node itself; the registry is registry:5000. Type 'docker service rm api' and create it again with registry:5000/swtest/api:latest",
				"apiのイメージが " + api.Image + " です。ノードの中では localhost はノード自身です。レジストリは registry:5000 です。'docker service rm api' の後、registry:5000/swtest/api:latest で作り直してください"}}, true
		}
		return Result{Hint: L{"api runs " + api.Image + ", not registry:5000/swtest/api:latest: type 'docker service rm api' and create it again",
			"apiのイメージが registry:5000/swtest/api:latest ではなく " + api.Image + " です。'docker service rm api' の後、作り直してください"}}, true
	}
	for _, p := range api.Ports {
		if p.Mode == "host" {
			return Result{Hint: L{"api publishes port 8000 in host mode, which allows one task per node; the next step runs six on four nodes. Type 'docker service rm api' and create it again as written",
				"apiがポート8000をhostモードで公開しています。hostモードは1ノードに1タスクまでのため、次のステップで4ノードに6つ起動できません。'docker service rm api' の後、記載どおりに作り直してください"}}, true
		}
	}
	return Result{}, false
}

func hasPort(s Service, published, target int) bool {
	for _, p := range s.Ports {
		if p.Published == published && p.Target == target {
			return true
		}
	}
	return false
}

// otherAPIService explains a service that runs the api image under another name.
func otherAPIService(s *State) L {
	if s.Swarm == nil {
		return L{}
	}
	for _, svc := range s.Swarm.Services {
		if svc.Stack == "" && repoOf(svc.Image) == apiImage {
			return Lf("the service is called %[1]s; the handout names it api (--name api): type 'docker service rm %[1]s', then create it again",
				"サービス名が %[1]s になっています。ハンドアウトでは api です(--name api)。'docker service rm %[1]s' の後、作り直してください", svc.Name)
		}
	}
	return L{}
}

// taskError explains a service's newest task error.
func taskError(svc Service) L {
	switch {
	case svc.LastError == "":
		return L{}
	case strings.Contains(svc.LastError, "No such image") || strings.Contains(svc.LastError, "not found"):
		return Lf("%s: %s; are the images pushed to the registry?", "%s: %s。イメージはレジストリにpushされていますか?", svc.Name, svc.LastError)
	}
	return Lf("%s: %s", "%s: %s", svc.Name, svc.LastError)
}

func checkServiceScale(s *State, e *Eval) Result {
	api, ok := s.Swarm.Service("api")
	if !ok {
		return Result{}
	}
	if r, bad := wrongAPI(api); bad {
		return r
	}
	running, _ := api.Running(s.Swarm.Nodes)
	nodes := len(api.TaskNodes())
	switch {
	case api.Replicas == 6 && running == 6:
		return Result{Done: true, Detail: Lf("api runs 6/6 on %d nodes", "apiが6/6、%dノードで起動しています", nodes)}
	case api.Replicas == 6:
		return Result{Detail: Lf("api runs %d/6", "apiが %d/6 起動しています", running), Hint: taskError(api)}
	case api.Replicas != 1:
		return Result{Detail: Lf("api runs %d/%d", "apiが %d/%d 起動しています", running, api.Replicas),
			Hint: Lf("api is scaled to %d; this step scales it to 6: type 'docker service scale api=6'", "apiが %d にスケールされています。このステップでは6にします。'docker service scale api=6' を入力してください", api.Replicas)}
	}
	return Result{Detail: Lf("api runs %d/%d", "apiが %d/%d 起動しています", running, api.Replicas)}
}

func checkServiceRm(s *State, e *Eval) Result {
	if _, ok := s.Swarm.Service("api"); ok || s.Swarm == nil || !e.Done("service-scale") {
		return Result{}
	}
	return Result{Done: true, Detail: L{"api is removed", "apiは削除されました"}}
}

func joinL(ls []L) L {
	var out L
	for _, l := range ls {
		if out.En != "" {
			out.En += "; "
			out.Ja += "。"
		}
		out.En += l.En
		out.Ja += l.Ja
	}
	return out
}
