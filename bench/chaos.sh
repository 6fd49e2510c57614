#!/usr/bin/env bash
# Failures as they really happen: every 'swarmlab chaos' scenario RUNS times
# (default 5) under its request loop (2 clients through the ingress, 1 s
# timeout), each run listed with the machine's load, then the median and the
# worst, with the heartbeat each lab's swarm has and why (status --json), and
# for a stopped or killed node the time until the manager recorded it Down; and
# the overlay's round trip (TCP connects and kept-alive requests
# from a container on swtest_net). Uses labs of its own ("chaos", and
# "chaos-ha" with three managers for the Leader) on other ports, and removes
# them at the end. The machine may be shared: hold the lab lock throughout.
#
#   flock /tmp/swarmlab-lab.lock bench/chaos.sh [RUNS] [SCENARIO...]
#   CHAOS_BENCH_OUT=dir ...      keeps every run's JSON (timeline included)
#
# SCENARIO: rtt stop kill drain update-api update-api-start update-nginx
# update-nginx-start leader (default: all of them). The Leader's lab takes the
# heartbeat up chooses; LEADER_HEARTBEAT=5s gives it another.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
shift || true
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(rtt stop kill drain update-api update-api-start update-nginx update-nginx-start leader)
bin=./bin/swarmlab
[ -x "$bin" ] || make build >/dev/null
sl() { "$bin" --name chaos "$@"; }
ha() { "$bin" --name chaos-ha "$@"; }
ports=(--ingress-port 38000 --visualizer-port 39000 --stats-port 31936 --registry-port 35000)
haports=(--ingress-port 38100 --visualizer-port 39100 --stats-port 31937 --registry-port 35100)
# Each run's JSON stays in $CHAOS_BENCH_OUT when it is set.
out=${CHAOS_BENCH_OUT:-$(mktemp -d)}
mkdir -p "$out"
cleanup() {
  sl down --purge -q >/dev/null 2>&1 || true
  ha down --purge -q >/dev/null 2>&1 || true
  [ -n "${CHAOS_BENCH_OUT:-}" ] || rm -rf "$out"
}
trap cleanup EXIT
load() { cut -d' ' -f1 /proc/loadavg; }
# heartbeat NAME: the heartbeat of that lab's swarm, who chose it and why.
heartbeat() { "$bin" --name "$1" status --json >"$out/heartbeat.$1.json"; }

# run LABEL RESTORE CHAOS-ARGS...: one chaos run, its load, then RESTORE (a
# function) to bring the lab back as it was.
run() {
  local label=$1 restore=$2 i
  shift 2
  for i in $(seq "$runs"); do
    local f="$out/$label.$i.json"
    echo "$label $i/$runs (load $(load))" >&2
    echo "{\"load\": $(load)}" >"$f.load"
    "${chaos[@]}" chaos --json "$@" >"$f" || echo "  chaos failed: $(tail -c 300 "$f")" >&2
    "$restore"
  done
}
none() { :; }
start1() { sl node start worker01 --rebalance -q >/dev/null; }
active1() { sl docker node update --availability active worker01 >/dev/null && sl node start worker01 --rebalance -q >/dev/null; }
leaderback() { ha start -q >/dev/null; } # starts the stopped manager, waits for nodes and services

lab=""
for s in "${scenarios[@]}"; do
  case $s in
  leader)
    ha down --purge -q >/dev/null 2>&1 || true
    ha up -q --managers 3 --workers 2 ${LEADER_HEARTBEAT:+--heartbeat "$LEADER_HEARTBEAT"} "${haports[@]}"
    heartbeat chaos-ha
    sleep 5
    chaos=("$bin" --name chaos-ha)
    run leader leaderback --leader
    ha down --purge -q
    continue ;;
  esac
  if [ -z "$lab" ]; then
    sl down --purge -q >/dev/null 2>&1 || true
    sl up -q "${ports[@]}"
    heartbeat chaos
    sleep 5
    lab=up
  fi
  chaos=("$bin" --name chaos)
  case $s in
  rtt)
    for i in $(seq "$runs"); do
      echo "overlay round trip $i/$runs (load $(load))" >&2
      echo "{\"load\": $(load)}" >"$out/rtt-connect.$i.json.load"
      probe=(docker run --rm --network swtest_net --entrypoint /swarmlab registry:5000/swtest/api probe http://tasks.swtest_api:8080/api/info -n 1000)
      sl "${probe[@]}" --no-keepalive --json | tail -1 >"$out/rtt-connect.$i.json"
      sl "${probe[@]}" --json | tail -1 >"$out/rtt-request.$i.json"
    done ;;
  stop) run stop start1 worker01 ;;
  kill) run kill start1 worker01 --kill ;;
  drain) run drain active1 --drain worker01 ;;
  update-api) run update-api none --update swtest_api --order stop-first ;;
  update-api-start) run update-api-start none --update swtest_api --order start-first ;;
  update-nginx) run update-nginx none --update swtest_nginx --order stop-first ;;
  update-nginx-start) run update-nginx-start none --update swtest_nginx --order start-first ;;
  *) echo "unknown scenario $s" >&2; exit 2 ;;
  esac
done

python3 - "$out" "$runs" <<'EOT'
import glob, json, os, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
ms = lambda ns: ns / 1e6
def fmt(v): return "%.0f" % v if v >= 100 else "%.1f" % v

names = {"stop": "`chaos worker01` (docker stop)", "kill": "`chaos worker01 --kill` (network cut, SIGKILL)",
         "drain": "`chaos --drain worker01`", "update-api": "`chaos --update swtest_api` stop-first",
         "update-api-start": "`chaos --update swtest_api` start-first", "update-nginx": "`chaos --update swtest_nginx` stop-first",
         "update-nginx-start": "`chaos --update swtest_nginx` start-first", "leader": "`chaos --leader` (3 managers, the heartbeat up chose unless LEADER_HEARTBEAT)"}
for p in sorted(glob.glob(os.path.join(out, "heartbeat.*.json"))):
    h = json.load(open(p)).get("heartbeat") or {}
    print("- lab %s: heartbeat %gs, chosen by %s: %s" % (p.split(".")[-2], h.get("period", 0) / 1e9, h.get("by") or "?", h.get("why") or "no reason recorded"))
print()
print("| scenario | run | load (1 min) | node Down (s) | converged (s) | requests during | failed | p50 (ms) | p99 (ms) | max (ms) | p99 before / after (ms) |")
print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for key, name in names.items():
    rows = []
    for i in range(1, runs + 1):
        p = os.path.join(out, "%s.%d.json" % (key, i))
        if not os.path.exists(p):
            continue
        load = json.load(open(p + ".load"))["load"]
        try:
            f = json.loads(open(p).read().strip().splitlines()[-1])
        except Exception:
            print("| %s | %d | %.2f | did not run: %s | | | | | | | |" % (name, i, load, open(p).read()[-120:].replace("\n", " ")))
            continue
        l = f["loop"]; d = l["during"]
        rows.append(dict(load=load, down=f.get("nodeDown", 0) / 1e9, restored=f["restored"] / 1e9, requests=d["requests"], failed=f["failed"],
                         p50=ms(d["p50"]), p99=ms(d["p99"]), max=ms(d["max"]), b=ms(l["before"]["p99"]), a=ms(l["after"]["p99"])))
        r = rows[-1]
        print("| %s | %d | %.2f | %s | %.1f | %d | %d | %s | %s | %s | %s / %s |" % (name, i, r["load"], ("%.1f" % r["down"]) if r["down"] else "-", r["restored"], r["requests"], r["failed"],
              fmt(r["p50"]), fmt(r["p99"]), fmt(r["max"]), fmt(r["b"]), fmt(r["a"])))
    if rows:
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        worst = {k: max(r[k] for r in rows) for k in rows[0]}
        for label, r in (("median", med), ("worst", worst)):
            print("| %s | **%s** | %.2f | %s | **%.1f** | %d | **%d** | %s | **%s** | **%s** | %s / %s |" % (name, label, r["load"], ("%.1f" % r["down"]) if r["down"] else "-", r["restored"], r["requests"],
                  r["failed"], fmt(r["p50"]), fmt(r["p99"]), fmt(r["max"]), fmt(r["b"]), fmt(r["a"])))

rtt = sorted(glob.glob(os.path.join(out, "rtt-connect.*.json")))
if rtt:
    print("\n| overlay round trip, manager → api tasks (1000 each) | run | load (1 min) | p50 | p99 | max |\n|---|---|--:|--:|--:|--:|")
    for p in rtt:
        i = p.split(".")[-2]
        c = json.load(open(p))["connect"]; q = json.load(open(p.replace("connect", "request")))["latency"]
        load = json.load(open(p + ".load"))["load"]
        print("| TCP connect | %s | %.2f | %.2f ms | %.2f ms | %.2f ms |" % (i, load, ms(c["p50"]), ms(c["p99"]), ms(c["max"])))
        print("| GET /api/info, kept alive | %s | %.2f | %.2f ms | %.2f ms | %.2f ms |" % (i, load, ms(q["p50"]), ms(q["p99"]), ms(q["max"])))
EOT
