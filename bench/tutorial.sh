#!/usr/bin/env bash
# Hands-on mode and the tutorial: the time from nothing to a hands-on lab
# ready (nodes up, no swarm), 'tutorial goto' to the last step from an empty
# hands-on lab, and the time from a typed command's end to its tick in
# 'tutorial --watch'. Every run is printed with the machine's load (uptime),
# and the median of RUNS (default 3).
#
# It uses the default lab, as a learner does (the handout's names and
# ports): it refuses to run when that lab exists, and removes it after.
# SWARMLAB_TUTORIAL_LAB=NAME uses the lab NAME instead, on ports of its own
# (those of the e2e tests), where the default lab is someone's own.
#
#   bench/tutorial.sh [RUNS]        (make bench-tutorial)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
bin=$(pwd)/bin/swarmlab
[ -x "$bin" ] || make build >/dev/null
work=$(mktemp -d)
cd "$work" # not the repository: the hands-on lab mounts its own stack copies
lab=${SWARMLAB_TUTORIAL_LAB:-swarmlab}
reg=5000
conf=()
node() { echo "$1"; }
if [ "$lab" != swarmlab ]; then
  reg=25500
  printf 'name: %s\nports:\n  ingress: 28500\n  visualizer: 29500\n  stats: 21950\n  registry: %s\n' "$lab" "$reg" >"$work/lab.yaml"
  conf=(--config "$work/lab.yaml")
  node() { echo "$lab-$1"; }
fi
sl() { "$bin" "${conf[@]}" "$@"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", b - a }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
load() { uptime | sed 's/.*load average: //'; }
untag() { docker image ls --format '{{.Repository}}:{{.Tag}}' | grep -E "^(localhost|127\.0\.0\.1):$reg/" | xargs -r docker image rm >/dev/null 2>&1 || true; }
if [ -n "$(docker ps -aq --filter label=io.swarmlab.lab="$lab")" ]; then
  echo "the lab $lab exists; remove it first, or name another with SWARMLAB_TUTORIAL_LAB" >&2
  exit 1
fi
watcher=
# The watcher runs in a process group of its own (setsid), killed whole: it
# must never outlive the script, which may hold a lock on the engine.
stopwatch() { [ -z "$watcher" ] || kill -- -"$watcher" 2>/dev/null || true; watcher=; }
cleanup() { stopwatch; sl down --purge -q >/dev/null 2>&1 || true; untag; rm -rf "$work"; }
trap cleanup EXIT

# A first run builds the lab's images from this binary; the figures are of a
# machine that has them, as a learner's has after the first 'up'.
sl up --hands-on -q
sl down --purge -q

echo "hands-on lab ready, from nothing" >&2
for i in $(seq "$runs"); do
  sl down --purge -q >/dev/null 2>&1 || true
  untag
  l=$(load); t0=$(now); sl up --hands-on -q; t1=$(now)
  echo "$(secs "$t0" "$t1") $l" >>"$work/ready"
done

echo "tutorial goto down, from an empty hands-on lab" >&2
for i in $(seq "$runs"); do
  sl tutorial reset -q >/dev/null
  l=$(load); t0=$(now); sl tutorial goto down -q >/dev/null; t1=$(now)
  echo "$(secs "$t0" "$t1") $l" >>"$work/goto"
done

# tick STEP NODE COMMAND: type COMMAND in NODE (or on the host) while
# --watch runs, and print the seconds from the command's end to the line
# that ticks STEP.
tick() {
  local step=$1 node=$2 cmd=$3 t0 line
  if [ "$node" = host ]; then sh -c "$cmd" >/dev/null; else docker exec "$(node "$node")" sh -c "$cmd" >/dev/null; fi
  t0=$(now)
  for _ in $(seq 100); do
    line=$(grep -m1 " ✓ [0-9]* $step:" "$work/watch" || true)
    [ -n "$line" ] && break
    sleep 0.1
  done
  [ -n "$line" ] || { echo "$step was not ticked" >&2; exit 1; }
  secs "$t0" "${line%% *}"
}

echo "a typed step to its tick in --watch" >&2
for i in $(seq "$runs"); do
  sl tutorial reset -q >/dev/null
  : >"$work/watch"
  LANG=C setsid bash -c '"$0" "${@:2}" tutorial --watch | while IFS= read -r line; do echo "$(date +%s.%N) $line"; done >>"$1"' "$bin" "$work/watch" "${conf[@]}" &
  watcher=$!
  sleep 2 # its first read
  l=$(load)
  echo "$(tick init manager 'docker swarm init') $l" >>"$work/tick-init"
  echo "$(tick tag host "docker image tag swtest/api:latest localhost:$reg/swtest/api:latest && docker image tag swtest/nginx:latest localhost:$reg/swtest/nginx:latest && docker image tag swarmlab/visualizer:latest localhost:$reg/visualizer:latest && docker image tag swarmlab/ingress:latest localhost:$reg/haproxy:latest") $l" >>"$work/tick-tag"
  sl tutorial goto network -q >/dev/null
  sleep 1
  echo "$(tick network manager 'docker network create --driver=overlay --attachable swtest_net') $l" >>"$work/tick-network"
  stopwatch
done

row() { # $1: label, $2: file
  echo "| $1 | **$(cut -d' ' -f1 "$2" | median) s** | $(awk '{ printf "%s%s s (load %s %s %s)", sep, $1, $2, $3, $4; sep = "; " }' "$2") |"
}
cat <<EOT
### Hands-on mode and the tutorial ($(date -u +%Y-%m-%d), $(nproc) cores, Docker $(docker version --format '{{.Server.Version}}'), median of $runs runs)

| measurement | median | runs (load average 1, 5, 15 min at the start of each) |
|---|---|---|
$(row "\`swarmlab up --hands-on\`: nothing to the nodes up, no swarm (goal ≤ 10 s)" "$work/ready")
$(row "\`swarmlab tutorial goto down\` (the last step) from an empty hands-on lab (goal ≤ 30 s)" "$work/goto")
$(row "\`docker swarm init\` typed → ticked by \`tutorial --watch\` (goal ≤ 1 s)" "$work/tick-init")
$(row "the fourth \`docker image tag\` typed → ticked" "$work/tick-tag")
$(row "\`docker network create ... swtest_net\` typed → ticked" "$work/tick-network")
EOT
