package tutorial

import (
	"fmt"
	"strings"

	"github.com/swarmlab/swarmlab/internal/lab"
)

// Step is one step of the handout: what to type, where, and how the lab's
// state shows that it is done.
type Step struct {
	ID       string   // stable: goto takes it, --json prints it
	Title    L        // the handout's heading for it
	Where    string   // the node to type it in, or "host"
	Commands []string // verbatim
	Note     L        // what to expect, or what differs from the handout
	// Check reads the state; nil for a step that leaves no trace (looking
	// at 'docker node ls'), which is shown and never blocks.
	Check func(s *State, e *Eval) Result
	// Transient marks a step whose trace a later step removes by design
	// (the service api, the stopped worker): once the learner is past it,
	// it counts as done.
	Transient bool
	// Effect is what the step leaves in the lab, for goto.
	Effect func(t *Target)
}

// Result is what a check found.
type Result struct {
	Done bool
	// Undone: the state shows the step's work was taken back (the network
	// removed...), so a record of it no longer counts.
	Undone bool
	// Unseen: the trace cannot be read now (its node is stopped); like a
	// transient step, it counts as done once a later step is.
	Unseen bool
	Detail L // what the state shows
	Hint   L // what went wrong and what to type, when the state says
}

// Env is what the steps' texts depend on.
type Env struct {
	Lab     string    // lab name: the default one keeps the handout's container names
	Ports   lab.Ports // host ports
	Workers []string  // worker node names, in order
	Join    string    // the worker join command, once the swarm exists
	NoIPVS  bool
}

// Host is where host commands are typed.
const Host = "host"

// Swarmlab is a swarmlab command line for the env's lab.
func (e Env) Swarmlab(args string) string {
	return lab.Config{Name: e.Lab}.Swarmlab(args)
}

// Container is a node's container name on the host.
func (e Env) Container(node string) string {
	return lab.Config{Name: e.Lab}.ContainerName(node)
}

// worker01 is the worker the handout pulls on and stops.
func (e Env) worker01() string {
	if len(e.Workers) == 0 {
		return "worker01"
	}
	return e.Workers[0]
}

// Steps lists the handout's steps in order, from 'docker swarm init' to the
// teardown.
func Steps(env Env) []Step {
	steps := []Step{{
		ID: "init", Where: "manager", Commands: []string{"docker swarm init"},
		Title:  L{"Initialise the swarm on the manager", "manager CLIでswarm初期化コマンドを入力"},
		Note:   L{"The output ends with the 'docker swarm join --token ...' command that adds a worker: copy it for the next steps.", "出力の「docker swarm join --token SWMTKN-1-... 」が、workerをswarmクラスタに追加するためのコマンドになります。"},
		Check:  checkInit,
		Effect: func(t *Target) { t.Swarm = true },
	}}
	join := env.Join
	if join == "" {
		join = "docker swarm join --token SWMTKN-1-... MANAGER-IP:2377"
	}
	for i, w := range env.Workers {
		note := L{"Paste the join command 'docker swarm init' printed. It answers 'This node joined a swarm as a worker.'", "docker swarm init が出力した docker swarm join ... コマンドを投入します。「This node joined a swarm as a worker.」と表示されます。"}
		if i > 0 {
			note = L{"The same command as on " + env.Workers[0] + ".", "全workerに同じコマンドを投入します。"}
		}
		steps = append(steps, Step{
			ID: "join-" + w, Where: w, Commands: []string{join}, Note: note,
			Title:  Lf("Join %s to the swarm", "%sのCLIでswarm参加のコマンドを投入", w),
			Check:  checkJoin(w),
			Effect: func(t *Target) { t.Joined = append(t.Joined, w) },
		})
	}
	w1 := env.worker01()
	steps = append(steps, Step{
		ID: "node-ls", Where: "manager", Commands: []string{"docker node ls"},
		Title: L{"Check each node from the manager", "manager CLIで各nodeの状態を確認"},
		Note:  Lf("%d nodes are running, and one of them is the Leader.", "%d台のノードが稼働しており、1台がLeaderとなっていることが分かります。", len(env.Workers)+1),
	}, Step{
		ID: "tag", Where: Host, Commands: registryCommands(env, "tag"),
		Title:  L{"Tag the container images for the registry", "コンテナイメージにタグ名を付ける"},
		Note:   L{"swarmlab's visualizer and ingress stand in for the handout's images: type swarmlab/visualizer:latest for dockersamples/visualizer:latest and swarmlab/ingress:latest for dockercloud/haproxy:latest. In the registry they keep the handout's names.", "visualizerとhaproxyはswarmlab製のイメージを使います。dockersamples/visualizer:latest の代わりに swarmlab/visualizer:latest、dockercloud/haproxy:latest の代わりに swarmlab/ingress:latest と入力します。レジストリ上の名前はハンドアウトと同じです。"},
		Check:  checkTag,
		Effect: func(t *Target) { t.Tagged = true },
	}, Step{
		ID: "push", Where: Host, Commands: registryCommands(env, "push"),
		Title:  L{"Push the images to the local registry", "ローカルレジストリにimageをpushする"},
		Note:   L{"The four images share one layer: from the second push on it says 'Layer already exists'.", "4つのイメージは同じレイヤーを共有しているため、2つ目からは「Layer already exists」と表示されます。"},
		Check:  checkPush,
		Effect: func(t *Target) { t.Pushed = true },
	}, Step{
		ID: "pull", Where: w1, Commands: []string{"docker image pull registry:5000/swtest/api:latest"},
		Title:  Lf("Test a pull from the local registry on %s", "%sからregistry:5000経由でコンテナイメージをpull出来るかテスト", w1),
		Note:   L{"Inside the nodes the registry is registry:5000 (localhost:5000 would be the node itself).", "ノードの中からはレジストリは registry:5000 です(localhost:5000 はノード自身を指します)。"},
		Check:  checkPull,
		Effect: func(t *Target) { t.Pulled = true },
	}, Step{
		ID: "service-create", Where: "manager", Commands: []string{"docker service create --replicas 1 --publish 8000:8080 --name api registry:5000/swtest/api:latest"},
		Title: L{"Create a service on the manager", "サービス作成@manager"}, Note: createNote(env),
		Check: checkServiceCreate, Transient: true,
		Effect: func(t *Target) { t.API = 1 },
	}, Step{
		ID: "service-ls", Where: "manager", Commands: []string{"docker service ls"},
		Title: L{"List the services", "サービス確認"},
		Note:  L{"One service, api, is running.", "サービスとして「api」が１つ起動していることが分かります。"},
	}, Step{
		ID: "service-scale", Where: "manager", Commands: []string{"docker service scale api=6"},
		Title: L{"Scale the service out to six", "サービスのスケールアウト"},
		Note:  L{"It answers 'api scaled to 6' and waits until the six tasks run.", "先ほどのサービスをスケールアウトし６つまで起動します。"},
		Check: checkServiceScale, Transient: true,
		Effect: func(t *Target) { t.API = 6 },
	}, Step{
		ID: "service-ps", Where: "manager", Commands: []string{"docker service ps api"},
		Title: L{"See where the tasks run", "実行状況を確認します"},
		Note:  L{"Look at NODE: the six tasks are spread over the nodes automatically.", "NODEの項目に注目します。６つのプロセスが各ノードにバランスを見ながら自動で振り分けられています。"},
	}, Step{
		ID: "service-rm", Where: "manager", Commands: []string{"docker service rm api", "docker service ls"},
		Title: L{"Remove the service", "サービスの終了と削除"},
		Check: checkServiceRm, Transient: true,
		Effect: func(t *Target) { t.API = 0 },
	}, Step{
		ID: "network", Where: "manager", Commands: []string{"docker network create --driver=overlay --attachable swtest_net"},
		Title:  L{"Create the overlay network", "オーバーレイネットワークの作成"},
		Note:   L{"The stacks share this network, so that their services can talk to each other.", "複数のStack間で通信を行うため、それぞれのStackを包含する Overlay Network を作成します。"},
		Check:  checkNetwork,
		Effect: func(t *Target) { t.Network = true },
	}, Step{
		ID: "stack-file", Where: "manager", Commands: []string{"cat /stack/webapi.yml"},
		Title: L{"Read the stack file", "Stackの確認"},
		Note:  L{"nginx and api, three replicas each, on workers only, on the network swtest_net.", "nginxとapiを3つずつ、manager以外のnodeで、swtest_net というオーバーレイネットワークで起動する構成です。"},
	}, Step{
		ID: "stack-deploy", Where: "manager", Commands: []string{"docker stack deploy -c /stack/webapi.yml swtest"},
		Title:  L{"Deploy the stack as swtest", "stackをデプロイする"},
		Note:   L{"It answers 'Creating service swtest_api' and 'Creating service swtest_nginx'.", "manager CLIにて/stack/webapi.ymlをswtestとしてデプロイします。"},
		Check:  checkStackDeploy,
		Effect: func(t *Target) { t.Stacks = append(t.Stacks, "swtest") },
	}, Step{
		ID: "stack-ls", Where: "manager", Commands: []string{"docker stack services swtest", `docker stack ps -f "DESIRED-STATE=Running" swtest`},
		Title: L{"Check the deployed stack and its containers", "デプロイされたstackとコンテナを確認"},
		Note:  L{"nginx and api run three each.", "nginxとapiが３つづつ起動していることが確認出来ます。"},
	}, Step{
		ID: "visualizer", Where: "manager", Commands: []string{"cat /stack/visualizer.yml", "docker stack deploy -c /stack/visualizer.yml visualizer"},
		Title:  L{"Deploy the Visualizer", "Visualizerのデプロイ"},
		Note:   Lf("Then open http://localhost:%d/ in a web browser: it shows which node runs what.", "WEBブラウザで http://localhost:%d/ にアクセスします。各ノードでのサービス起動状況が見える化されています。", env.Ports.Visualizer),
		Check:  checkVisualizer,
		Effect: func(t *Target) { t.Stacks = append(t.Stacks, "visualizer") },
	}, Step{
		ID: "ingress", Where: "manager", Commands: []string{"cat /stack/ingress.yml", "docker stack deploy -c /stack/ingress.yml ingress"},
		Title:  L{"Deploy the Ingress", "Ingressのデプロイ"},
		Note:   Lf("Then open http://localhost:%d/: 'The API service is running...'", "WEBブラウザで http://localhost:%d/ にアクセスします。「The API service is running...」と表示されたでしょうか？", env.Ports.Ingress),
		Check:  checkIngress,
		Effect: func(t *Target) { t.Stacks = append(t.Stacks, "ingress") },
	}, Step{
		ID: "worker-stop", Where: Host, Commands: []string{"docker stop " + env.Container(w1)},
		Title:     Lf("Stop %s and watch the cluster", "クラスタの動作確認: %sを停止", w1),
		Note:      Lf("Or stop %s from Docker Desktop's dashboard. After a while the swarm starts its tasks on the other workers, three of each again: watch it on the visualizer.", "Dockerダッシュボードから%sを停止しても構いません。しばらくすると、自動でサービスが起動されて、３つづつになっていることがvisualizerで確認できます。", w1),
		Check:     checkWorkerStop,
		Transient: true,
		Effect:    func(t *Target) { t.Worker01Stopped = true },
	}, Step{
		ID: "lab-restart", Where: Host, Commands: []string{env.Swarmlab("stop"), env.Swarmlab("start")},
		Title:  L{"Stop the lab for a while, then start it again", "一時的に終了し、再度立ち上げる"},
		Note:   L{"The handout's 'docker-compose stop' and 'docker-compose start'. The swarm, its services and the images survive, and the stopped worker starts again too.", "ハンドアウトの docker-compose stop / docker-compose start にあたります。swarmクラスタ、サービス、イメージはそのまま残り、停止したworkerも再び起動します。"},
		Check:  checkLabRestart,
		Effect: func(t *Target) { t.Worker01Stopped = false },
	}, Step{
		ID: "down", Where: Host, Commands: []string{env.Swarmlab("down")},
		Title: L{"Finally, tear the whole lab down", "最後に全環境を破棄します"},
		Note:  L{"The handout's 'docker-compose down'. The container images stay, but the swarm and its settings are gone.", "ハンドアウトの docker-compose down にあたります。コンテナイメージファイルは残りますが、swarmクラスタ設定などはなくなります。"},
		Check: func(s *State, _ *Eval) Result { return Result{Done: s.Lab == LabDown} },
	})
	return steps
}

// registryCommands are the handout's four tag or push commands, with
// swarmlab's images for the visualizer and the ingress.
func registryCommands(env Env, verb string) []string {
	var out []string
	for _, img := range lab.HandoutImages {
		dst := fmt.Sprintf("localhost:%d/%s:latest", env.Ports.Registry, img.Repo)
		if verb == "tag" {
			out = append(out, "docker image tag "+img.Host+":latest "+dst)
		} else {
			out = append(out, "docker image push "+dst)
		}
	}
	return out
}

func createNote(env Env) L {
	if !env.NoIPVS {
		return L{"It waits until the task runs: 'verify: Service converged'.", "「verify: Service converged」と表示されます。"}
	}
	return L{
		"This kernel has no IPVS, so swarm's routing mesh does not work here. Type the command as written: the service is created and runs, but its published port 8000 answers nowhere. Nothing in the handout uses it (localhost:8000 on the host reaches the ingress you deploy later). Do not change it to mode=host: a host-mode port allows one task per node, and the next step runs six on four nodes.",
		"このカーネルにはIPVSがないため、swarmのルーティングメッシュは動きません。コマンドはそのまま入力してください。サービスは作成されて動きますが、公開ポート8000はどこからも応答しません。ハンドアウトではこのポートは使いません(ホストの localhost:8000 は後でデプロイするingressにつながります)。mode=host には変えないでください。hostモードのポートは1ノードに1タスクまでのため、次のステップで4ノードに6つ起動できません。",
	}
}

// Find returns the index of the step with id, or with number id (from 1).
func Find(steps []Step, id string) (int, error) {
	for i, s := range steps {
		if s.ID == id || fmt.Sprint(i+1) == id {
			return i, nil
		}
	}
	var ids []string
	for _, s := range steps {
		ids = append(ids, s.ID)
	}
	return -1, fmt.Errorf("no step %q: give a number from 1 to %d or one of %s", id, len(steps), strings.Join(ids, ", "))
}
