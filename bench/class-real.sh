#!/usr/bin/env bash
# A real learner beside a simulated room: one 'swarmlab class serve', ROOM
# simulated learners (default 30, bench/classload, a tick each per second as
# in bench/class.sh) and one real hands-on lab joined to the class, whose
# learner types the whole handout with 'tutorial --watch' running
# (bench/classreal: the commands as 'swarmlab tutorial --json' prints them,
# in the node or on the host each step names).
#
# Prints, for the real learner, each checked step from the end of the typed
# command that finished it to its tick in --watch and on the teacher's board
# (a server-sent-events client); for the room, the tick→board latency
# (p50/p90/p99), the server's CPU and peak memory while the room ticks, and
# the failed requests. Markdown tables, for docs/benchmarks.md.
#
# It uses a lab of its own, 'classreal', on host ports 5120 (registry),
# 8120 (ingress), 8121 (visualizer), and the class server on 127.0.0.1:7120
# (CLASS_PORT); it refuses to run when that lab exists, and removes it after.
# Needs a Docker engine and the node image. It takes several minutes: a real
# lab, the whole handout.
#
#   bench/class-real.sh            (ROOM=30 CLASS_PORT=7120)
set -euo pipefail
cd "$(dirname "$0")/.."
lab=classreal
room=${ROOM:-30}
port=${CLASS_PORT:-7120}
reg=5120
work=$(mktemp -d)
export SWARMLAB_CLASS_HOME=$work/home # the real learner's class.json and queue
export PATH=$work/bin:$PATH           # the typed 'swarmlab' commands find this build
mkdir -p "$work/bin" "$work/home"
srv= loadpid= realpid=
cleanup() {
  [ -z "$realpid" ] || kill -- -"$realpid" 2>/dev/null || true
  [ -z "$loadpid" ] || kill "$loadpid" 2>/dev/null || true
  [ -z "$srv" ] || kill "$srv" 2>/dev/null || true
  wait 2>/dev/null || true
  swarmlab --name "$lab" down --purge -q >/dev/null 2>&1 || true
  docker image ls --format '{{.Repository}}:{{.Tag}}' | grep -E "^(localhost|127\.0\.0\.1):$reg/" | xargs -r docker image rm >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$work/bin/swarmlab" ./cmd/swarmlab
go build -o "$work/classload" ./bench/classload
go build -o "$work/classreal" ./bench/classreal
if [ -n "$(docker ps -aq --filter label=io.swarmlab.lab=$lab)" ]; then
  echo "the lab $lab exists; remove it first: swarmlab --name $lab down --purge" >&2
  trap - EXIT
  rm -rf "$work"
  exit 1
fi

echo "hands-on lab $lab" >&2
t0=$(date +%s.%N)
swarmlab --name "$lab" up --hands-on -q --registry-port "$reg" --ingress-port 8120 --visualizer-port 8121 --stats-port 0
up=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')

swarmlab class serve --dir "$work/class" --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
srv=$!
for _ in $(seq 100); do grep -q "token=" "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
code=$(awk '/^Class code:/{print $3}' "$work/serve.log")
secret=$(grep -o 'token=[^ ]*' "$work/serve.log" | cut -d= -f2)
[ -n "$code" ] && [ -n "$secret" ] || { echo "class serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
swarmlab class join "http://127.0.0.1:$port" "$code" --name "Real learner" >/dev/null

echo "the room: $room simulated learners" >&2
# The room ticks until the real learner is done (SIGTERM ends it with its report).
"$work/classload" -url "http://127.0.0.1:$port" -code "$code" -secret "$secret" -pid "$srv" \
  -learners "$room" -duration 2h -fetch 0 >"$work/room.log" 2>&1 &
loadpid=$!
for _ in $(seq 100); do grep -q "^joined" "$work/room.log" && break; sleep 0.2; done
sleep 3 # every simulated learner ticking

load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "the real learner types the handout" >&2
setsid "$work/classreal" -bin "$work/bin/swarmlab" -lab "$lab" -url "http://127.0.0.1:$port" -secret "$secret" >"$work/real.md" &
realpid=$!
status=0
wait "$realpid" || status=$?
realpid=
kill -TERM "$loadpid"
wait "$loadpid" || true
loadpid=
queue=$(swarmlab class status 2>&1 | sed -n 2p)

echo "### A real learner beside $room simulated ones ($(date -u +%Y-%m-%d), $(nproc) cores, load $load0 at the start, Docker $(docker version --format '{{.Server.Version}}'))"
echo
echo "\`swarmlab up --hands-on\`: $up s. Then:"
echo
cat "$work/real.md"
echo "At the end, \`swarmlab class status\` of the real learner: $queue"
echo
echo "| the room ($room simulated learners, a tick each per second) | figure |"
echo "|---|--:|"
echo "| tick → open board | $(grep -o 'p50.*' "$work/room.log" || echo -) |"
echo "| ticks sent | $(grep -o '[0-9]* ok, [0-9]* failed' "$work/room.log" || echo -) |"
echo "| class server while the room ticks | $(sed -n 's/^server while ticking: //p' "$work/room.log") |"
[ "$status" = 0 ] || { echo "the real learner failed (exit $status):" >&2; exit "$status"; }
