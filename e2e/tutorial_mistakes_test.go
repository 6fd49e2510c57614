//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/swarmlab/swarmlab/internal/tutorial"
)

// hint waits until the tutorial is at step id, not ticked, with a hint that
// contains want.
func (l *learner) hint(id, want string) {
	l.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		p := l.progress()
		s, _ := p.Step(id)
		if p.Current == id && strings.Contains(s.Hint, adapt(want)) {
			l.t.Logf("%s: %s", id, s.Hint)
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("no hint %q on %s\n%s", want, id, describe(p))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestTutorialMistakes makes the typical mistakes of a study group on a real
// lab, as a learner types them, and checks the hint each one gets; a few are
// then fixed as the hint says, and the step ticks.
func TestTutorialMistakes(t *testing.T) {
	l := startHandsOn(t)

	// The lab stopped for the day before the swarm exists starts again.
	l.run(do("host", "swarmlab stop"), false)
	if p := l.progress(); p.LabState != tutorial.LabStopped {
		t.Fatalf("after swarmlab stop: %s", describe(p))
	}
	l.run(do("host", "swarmlab start"), false)
	if p := l.expect(nil, 0); p.Current != "init" {
		t.Fatalf("after swarmlab start: %s", describe(p))
	}

	l.run(do("worker01", "docker swarm init"), false)
	l.hint("init", "'docker swarm init' was typed on worker01, not on the manager")
	l.run(do("worker01", "docker swarm leave --force"), false)
	l.typeStep("init", nil)

	// A worker joined with the manager's token, then demoted as the hint says.
	manager := joinRE.FindString(l.run(do("manager", "docker swarm join-token manager"), false))
	l.run(do("worker01", manager), false)
	l.hint("join-worker01", "docker node demote worker01")
	l.run(do("manager", "docker node demote worker01"), false)
	l.expect([]string{"init", "join-worker01"}, time.Minute)

	// The handout's image names, then a name no stack file pulls.
	l.gotoStep("tag")
	l.run(handout["tag"][0], false)
	l.run(handout["tag"][1], false)
	l.run(do("host", "docker image tag dockersamples/visualizer:latest localhost:5000/visualizer:latest"), true)
	l.hint("tag", "swarmlab's image for visualizer is swarmlab/visualizer:latest, not the handout's dockersamples/visualizer")
	l.run(do("host", "docker image tag swtest/api:latest localhost:5000/api:latest"), false)
	l.hint("tag", "localhost:5000/api:latest: not a name the stack files pull")

	l.gotoStep("push")
	l.run(do("host", "docker image tag swarmlab/visualizer:latest localhost:5000/dockersamples/visualizer:latest && docker image push localhost:5000/dockersamples/visualizer:latest"), false)
	l.hint("push", "the registry holds dockersamples/visualizer, which no stack file pulls")

	// localhost:5000 inside a node; then the pull typed on the manager.
	l.gotoStep("pull")
	l.run(do("worker01", "docker image pull localhost:5000/swtest/api:latest"), true)
	l.hint("pull", "worker01 tried localhost:5000, which inside a node is the node itself")
	l.run(do("manager", "docker image pull registry:5000/swtest/api:latest"), false)
	l.hint("pull", "pulled on manager, not on worker01")

	l.gotoStep("service-scale")
	l.run(do("manager", "docker service scale api=5"), false)
	l.hint("service-scale", "api is scaled to 5; this step scales it to 6")

	// A network that is not attachable, made again as the hint says.
	before := l.gotoStep("network")
	l.run(do("manager", "docker network create --driver=overlay swtest_net"), false)
	l.hint("network", "swtest_net was created without --attachable")
	l.run(do("manager", "docker network rm swtest_net"), false)
	l.typeStep("network", before)

	// The stack under another name, then a copy of it placed on the manager.
	l.gotoStep("stack-deploy")
	l.run(do("manager", "docker stack deploy -c /stack/webapi.yml web"), false)
	l.hint("stack-deploy", "the stack was deployed as web")
	l.run(do("manager", "docker stack rm web"), false)
	l.run(do("manager", "sed 's/node.role != manager/node.role == manager/' /stack/webapi.yml > /tmp/webapi.yml && docker stack deploy -c /tmp/webapi.yml swtest"), false)
	l.hint("stack-deploy", "on the manager: webapi.yml's placement constraint 'node.role != manager' is missing")

	l.gotoStep("worker-stop")
	l.run(do("host", "docker stop worker02"), false)
	l.hint("worker-stop", "worker02 is stopped; the handout stops worker01")
}
