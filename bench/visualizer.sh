#!/usr/bin/env bash
# Visualizer cost: CPU and memory of the server with 4 nodes and 20 tasks.
#
#   bench/visualizer.sh [seconds] [browsers]
#
# 1. Go benchmarks of one read of the swarm (real Docker client against a
#    fake engine over HTTP) and of one poll cycle with 10 browsers.
# 2. The server as deployed, in-process, for [seconds] with [browsers]
#    event streams (TestResourceUsage).
# 3. The real binary in demo mode (a changing 4-node, 20-task swarm), with
#    [browsers] curl event streams: CPU% and RSS from /proc.
# 4. With VIZ_CONTAINER=<name or id> and docker: `docker stats` of the
#    visualizer of a running lab (run it where that container is, e.g. in the
#    manager: DOCKER_HOST or `docker exec swarmlab-manager ...`).
#
# Env: SWARMLAB_BIN  use this binary instead of building ./cmd/swarmlab
# Needs go and curl. Record the results in docs/benchmarks-visualizer.md.
set -euo pipefail
secs=${1:-30}
browsers=${2:-10}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$repo"

echo "== go benchmarks (internal/visualizer)"
go test -run '^$' -bench . -benchmem -benchtime 2s ./internal/visualizer/ | grep -E '^(Benchmark|cpu:)'

echo
echo "== in-process server, Docker source over HTTP, 10 browsers, ${secs}s"
SWARMLAB_BENCH=1 SWARMLAB_BENCH_SECONDS="$secs" go test -count 1 -run '^TestResourceUsage$' -v ./internal/visualizer/ |
  sed -n 's/^ *bench_test.go:[0-9]*: //p'

echo
echo "== swarmlab visualizer --demo, ${browsers} browsers, ${secs}s"
bin=${SWARMLAB_BIN:-}
if [ -z "$bin" ]; then
  bin="$work/swarmlab"
  go build -o "$bin" ./cmd/swarmlab
fi
port=$(( 20000 + RANDOM % 20000 ))
PORT=$port GOMAXPROCS=1 "$bin" visualizer --demo 2>"$work/viz.log" &
vpid=$!
pids+=("$vpid")
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
for _ in $(seq "$browsers"); do
  curl -sN "http://127.0.0.1:$port/api/events" >/dev/null &
  pids+=("$!")
done
sleep 2 # start-up is not what we measure
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$vpid/stat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$vpid/status"; }
t0=$(ticks); peak=0
for _ in $(seq "$secs"); do
  sleep 1
  r=$(rss_kb); [ "$r" -gt "$peak" ] && peak=$r
done
t1=$(ticks)
awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$secs" -v rss="$(rss_kb)" -v peak="$peak" 'BEGIN {
  printf "CPU: %.2f%% of one core (%.2fs over %ds)\nRSS: %.1f MiB now, %.1f MiB peak\n", 100*d/hz/s, d/hz, s, rss/1024, peak/1024 }'
echo "state size: $(curl -fsS "http://127.0.0.1:$port/api/state" | wc -c) bytes of JSON"

if [ -n "${VIZ_CONTAINER:-}" ] && command -v docker >/dev/null; then
  echo
  echo "== docker stats $VIZ_CONTAINER (5 samples)"
  for _ in 1 2 3 4 5; do
    docker stats --no-stream --format '{{.Name}}  CPU {{.CPUPerc}}  MEM {{.MemUsage}}' "$VIZ_CONTAINER"
    sleep 1
  done
fi
