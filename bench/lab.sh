#!/usr/bin/env bash
# Lab benchmarks: times of up --bare, stop/start, down, stack convergence,
# a full up to a passing verify, image sizes, and failover with the tuned and
# the default heartbeat. Medians of RUNS runs (default 3). Needs a Docker
# engine and the node image; uses a lab of its own ("bench") on other ports.
#
#   bench/lab.sh [RUNS]        (make bench)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
bin=./bin/swarmlab
[ -x "$bin" ] || make build >/dev/null
sl() { "$bin" --name bench "$@"; }
ports=(--ingress-port 28000 --visualizer-port 29000 --stats-port 21936 --registry-port 25000)
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", b - a }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
out=$(mktemp -d)
trap 'sl down --purge -q >/dev/null 2>&1 || true; rm -rf "$out"' EXIT

sl down --purge -q >/dev/null 2>&1 || true
for i in $(seq "$runs"); do
  echo "run $i/$runs: up --bare, stop/start, up (stacks), down" >&2
  t0=$(now); sl up --bare -q "${ports[@]}"; t1=$(now); secs "$t0" "$t1" >>"$out/bare"
  t0=$(now); sl stop -q; sl start -q; t1=$(now); secs "$t0" "$t1" >>"$out/stopstart"
  t0=$(now); sl up -q "${ports[@]}"; t1=$(now); secs "$t0" "$t1" >>"$out/converge"
  t0=$(now); sl down -q; t1=$(now); secs "$t0" "$t1" >>"$out/down"
done

echo "full up from nothing to a passing verify" >&2
for i in $(seq "$runs"); do
  sl down --purge -q >/dev/null 2>&1 || true
  t0=$(now); sl up -q "${ports[@]}"; until sl verify >/dev/null 2>&1; do sleep 0.5; done; t1=$(now)
  secs "$t0" "$t1" >>"$out/full"
done
sl images --json >"$out/images.json"

failover() { # $1: label
  sl chaos worker01 --json >"$out/f.json"
  python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); print("%.1f %.1f %d %d" % (f["nodeDown"]/1e9, f["restored"]/1e9, f["failed"], f["requests"]))' "$out/f.json" >>"$out/$1"
  sl node start worker01 --rebalance -q >/dev/null
}
echo "failover, heartbeat 2s" >&2
for i in $(seq "$runs"); do failover tuned; done
echo "failover, swarm's default heartbeat (5s)" >&2
sl down -q; sl up -q --heartbeat 5s "${ports[@]}"
failover default

col() { awk -v c="$1" '{ print $c }' "$2" | median; }
cat <<EOT
## Lab lifecycle ($(date -u +%Y-%m-%d), $(nproc) cores, Docker $(docker version --format '{{.Server.Version}}'), median of $runs runs)

| step | seconds | runs |
|---|---|---|
| \`swarmlab up --bare\`, nothing to 4 Ready nodes | $(median <"$out/bare") | $(tr '\n' ' ' <"$out/bare") |
| \`swarmlab stop\` + \`swarmlab start\` to Ready | $(median <"$out/stopstart") | $(tr '\n' ' ' <"$out/stopstart") |
| \`swarmlab up\` after \`--bare\`: images pushed, stacks converged | $(median <"$out/converge") | $(tr '\n' ' ' <"$out/converge") |
| \`swarmlab down\` | $(median <"$out/down") | $(tr '\n' ' ' <"$out/down") |
| \`swarmlab up\` from nothing to \`verify\` passing | $(median <"$out/full") | $(tr '\n' ' ' <"$out/full") |

## Failover (\`swarmlab chaos worker01\`: stop a worker under a request loop through the ingress)

| heartbeat | node Down (s) | replicas restored (s) | failed requests | requests | runs |
|---|---|---|---|---|---|
| 2s (swarmlab's default) | $(col 1 "$out/tuned") | $(col 2 "$out/tuned") | $(col 3 "$out/tuned") | $(col 4 "$out/tuned") | $(wc -l <"$out/tuned") |
| 5s (swarm's default) | $(col 1 "$out/default") | $(col 2 "$out/default") | $(col 3 "$out/default") | $(col 4 "$out/default") | 1 |

## Image sizes in the lab registry (compressed, as \`swarmlab images --json\` reads them from the registry's manifests)

$(python3 -c '
import json,sys
s=json.load(open(sys.argv[1]))
print("| image | compressed size |\n|---|---|")
for i in s["images"]: print("| registry:5000/%s:%s | %.1f MB |" % (i["repo"], i["tag"], i["size"]/1e6))
print("| **all images, shared layer once** | **%.1f MB** |" % (s["total"]/1e6))' "$out/images.json")
EOT
