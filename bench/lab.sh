#!/usr/bin/env bash
# Lab benchmarks: times of up --bare, stop/start, down, stack convergence,
# a full up to a passing verify with each of its steps, the hands-on up,
# image sizes, and failover with the heartbeat up chose (and why) and with
# swarm's default one. Medians of RUNS runs (default 5). Needs a Docker
# engine and the node image; uses a lab of its own ("bench") on other ports.
#
#   bench/lab.sh [RUNS]        (make bench)
#
# PARTS picks what runs (default: all of lifecycle handson full failover);
# BIN is the swarmlab binary (default ./bin/swarmlab, built when missing), so
# that two builds can be run in turn: for r in 1 2 3; do BIN=a/swarmlab
# PARTS="handson full" bench/lab.sh 1; BIN=b/swarmlab ...; done
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
PARTS=${PARTS:-lifecycle handson full failover}
has() { [[ " $PARTS " == *" $1 "* ]]; }
bin=${BIN:-./bin/swarmlab}
[ -x "$bin" ] || make build >/dev/null
sl() { "$bin" --name bench "$@"; }
ports=(--ingress-port 28000 --visualizer-port 29000 --stats-port 21936 --registry-port 25000)
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", b - a }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
out=$(mktemp -d)
hogs=()
trap 'kill "${hogs[@]}" 2>/dev/null || true; sl down --purge -q >/dev/null 2>&1 || true; rm -rf "$out"' EXIT

sl down --purge -q >/dev/null 2>&1 || true
has lifecycle && for i in $(seq "$runs"); do
  echo "run $i/$runs: up --bare, stop/start, up (stacks), down" >&2
  t0=$(now); sl up --bare -q "${ports[@]}"; t1=$(now); secs "$t0" "$t1" >>"$out/bare"
  t0=$(now); sl stop -q; sl start -q; t1=$(now); secs "$t0" "$t1" >>"$out/stopstart"
  t0=$(now); sl up -q "${ports[@]}"; t1=$(now); secs "$t0" "$t1" >>"$out/converge"
  t0=$(now); sl down -q; t1=$(now); secs "$t0" "$t1" >>"$out/down"
done

has handson && echo "hands-on up from nothing" >&2
has handson && for i in $(seq "$runs"); do
  sl down --purge -q >/dev/null 2>&1 || true
  t0=$(now); sl up --hands-on -q "${ports[@]}" >/dev/null; t1=$(now); secs "$t0" "$t1" >>"$out/handson"
done
has full && echo "full up from nothing to a passing verify" >&2
has full && for i in $(seq "$runs"); do
  sl down --purge -q >/dev/null 2>&1 || true
  # Not a terminal: up prints each step with its time (" ✓ Step (1.2s)").
  t0=$(now); sl up "${ports[@]}" >"$out/up-$i.log" 2>&1; until sl verify >/dev/null 2>&1; do sleep 0.5; done; t1=$(now)
  secs "$t0" "$t1" >>"$out/full"
  sl status --json | python3 -c 'import json,sys; h=json.load(sys.stdin).get("heartbeat") or {}; print("%gs\t%s" % (h.get("period", 0)/1e9, h.get("why", "")))' >>"$out/heartbeats"
done
has full && sl images --json >"$out/images.json"

failover() { # $1: label
  sl chaos worker01 --json >"$out/f.json"
  python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); print("%.1f %.1f %d %d" % (f["nodeDown"]/1e9, f["restored"]/1e9, f["failed"], f["requests"]))' "$out/f.json" >>"$out/$1"
  sl node start worker01 --rebalance -q >/dev/null
}
if has failover; then
  # After the full runs, the last lab is up; alone, the part makes one.
  has full || sl up -q "${ports[@]}"
  sl status --json | python3 -c 'import json,sys; h=json.load(sys.stdin).get("heartbeat") or {}; print("%gs" % (h.get("period", 0)/1e9))' >"$out/tunedhb"
  echo "failover, the heartbeat up chose" >&2
  for i in $(seq "$runs"); do failover tuned; done
  echo "failover on a busy machine: one busy loop per core while the worker stops" >&2
  for i in $(seq "$runs"); do
    hogs=()
    for c in $(seq "$(nproc)"); do (while :; do :; done) & hogs+=($!); done
    failover busy
    kill "${hogs[@]}"
  done
  echo "failover, swarm's default heartbeat (5s)" >&2
  sl down -q; sl up -q --heartbeat 5s "${ports[@]}"
  failover default
fi

col() { awk -v c="$1" '{ print $c }' "$2" | median; }
row() { # $1: label, $2: file of one figure per run
  [ -s "$out/$2" ] && printf '| %s | %s | %s |\n' "$1" "$(median <"$out/$2")" "$(tr '\n' ' ' <"$out/$2")"
  return 0
}
echo "## Lab lifecycle ($(date -u +%Y-%m-%d), $(nproc) cores, Docker $(docker version --format '{{.Server.Version}}'), median of $runs runs; $($bin --version 2>/dev/null | head -1))"
echo
echo "| step | seconds | runs |"
echo "|---|---|---|"
row '`swarmlab up --bare`, nothing to 4 Ready nodes' bare
row '`swarmlab stop` + `swarmlab start` to Ready' stopstart
row '`swarmlab up` after `--bare`: images pushed, stacks converged' converge
row '`swarmlab down`' down
row '`swarmlab up` from nothing to `verify` passing' full
row '`swarmlab up --hands-on` from nothing' handson

if has full; then
cat <<EOT

### The steps of \`swarmlab up\` from nothing (seconds, median, then every run)

$(python3 -c '
import re,sys,statistics
def secs(d):
    m = re.fullmatch(r"(?:(\d+)m)?([\d.]+)(ms|s)", d)
    return (int(m[1] or 0)*60 + float(m[2])/(1000 if m[3] == "ms" else 1)) if m else float("nan")
steps, order = {}, []
for f in sys.argv[1:]:
    for line in open(f):
        m = re.match(r"\s*✓ (.*) \(([^()]*)\)$", line)
        if m:
            if m[1] not in steps: order.append(m[1]); steps[m[1]] = []
            steps[m[1]].append(secs(m[2]))
print("| step | median | runs |\n|---|--:|---|")
for s in order: print("| %s | %.1f | %s |" % (s, statistics.median(steps[s]), " ".join("%.1f" % v for v in steps[s])))' "$out"/up-*.log)

### The heartbeat each full \`up\` chose, and why (from \`swarmlab status --json\`)

$(awk -F '\t' '{ printf "- %s: %s\n", $1, $2 }' "$out/heartbeats")

## Image sizes in the lab registry (compressed, as \`swarmlab images --json\` reads them from the registry's manifests)

$(python3 -c '
import json,sys
s=json.load(open(sys.argv[1]))
print("| image | compressed size |\n|---|---|")
for i in s["images"]: print("| registry:5000/%s:%s | %.1f MB |" % (i["repo"], i["tag"], i["size"]/1e6))
print("| **all images, shared layer once** | **%.1f MB** |" % (s["total"]/1e6))' "$out/images.json")
EOT
fi

if has failover; then
cat <<EOT

## Failover (\`swarmlab chaos worker01\`: stop a worker under a request loop through the ingress)

| heartbeat | node Down (s) | replicas restored (s) | failed requests | requests | runs (Down/restored) |
|---|---|---|---|---|---|
| $(cat "$out/tunedhb") (chosen by \`up\`) | $(col 1 "$out/tuned") | $(col 2 "$out/tuned") | $(col 3 "$out/tuned") | $(col 4 "$out/tuned") | $(awk '{ printf "%s%s/%s", (NR > 1 ? ", " : ""), $1, $2 }' "$out/tuned") |
| the same, every core busy | $(col 1 "$out/busy") | $(col 2 "$out/busy") | $(col 3 "$out/busy") | $(col 4 "$out/busy") | $(awk '{ printf "%s%s/%s", (NR > 1 ? ", " : ""), $1, $2 }' "$out/busy") |
| 5s (swarm's default) | $(col 1 "$out/default") | $(col 2 "$out/default") | $(col 3 "$out/default") | $(col 4 "$out/default") | 1 |
EOT
fi
