#!/usr/bin/env bash
# Reverse-proxy throughput on loopback, every target in one run so that
# ratios compare like with like (absolute numbers drift between runs).
# Each proxy gets core 0 and one worker (haproxy nbthread 1, nginx one
# worker, Go GOMAXPROCS=1); the backend and wrk share core 1.
#
#   bench/proxy.sh [seconds] [connections]
#
# Env: SWARMLAB_BIN  use this binary instead of building ./cmd/swarmlab
#      ROUNDS        repeat the whole set this many times (default 1)
# Needs go, wrk, haproxy, nginx-light, caddy (installed with apt-get if missing).
set -euo pipefail
secs=${1:-10}
conns=${2:-32}
rounds=${ROUNDS:-1}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

missing=()
for t in wrk haproxy nginx caddy taskset curl; do command -v "$t" >/dev/null || missing+=("$t"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing haproxy nginx-light caddy wrk (missing: ${missing[*]})" >&2
  apt-get install -y haproxy nginx-light caddy wrk util-linux curl >/dev/null
fi

# The backend: a plain net/http server, like the lab's API service.
mkdir -p "$work/backend"
cat >"$work/backend/main.go" <<'GO'
package main

import (
	"io"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "The API service is running...\n")
	})
	http.ListenAndServe("127.0.0.1:18081", nil)
}
GO
(cd "$work/backend" && printf 'module backend\n\ngo 1.22\n' >go.mod && CGO_ENABLED=0 go build -o "$work/backend-bin" .)

bin=${SWARMLAB_BIN:-}
if [ -z "$bin" ]; then
  bin=$work/swarmlab
  (cd "$repo" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$bin" ./cmd/swarmlab)
fi

cat >"$work/haproxy.cfg" <<CFG
global
    maxconn 4096
    nbthread 1
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    option http-keep-alive
frontend fe
    bind 127.0.0.1:18090
    default_backend be
backend be
    http-reuse always
    server s1 127.0.0.1:18081
CFG
cat >"$work/nginx.conf" <<CFG
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
    access_log off;
    upstream be { server 127.0.0.1:18081; keepalive 64; }
    server {
        listen 127.0.0.1:18091;
        location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
CFG
cat >"$work/Caddyfile" <<CFG
{
	admin off
	auto_https off
}
http://127.0.0.1:18092 {
	reverse_proxy 127.0.0.1:18081
}
CFG

# start0 LOG [VAR=value...] CMD...: run on core 0 with one Go thread. taskset
# and env exec the command, so $! is the proxy's own PID.
start0() {
  local log=$1
  shift
  taskset -c 0 env GOMAXPROCS=1 "$@" >"$log" 2>&1 &
  pids+=($!)
  last=$!
}
taskset -c 1 "$work/backend-bin" >/dev/null 2>&1 &
pids+=($!)
start0 /dev/null haproxy -f "$work/haproxy.cfg"
taskset -c 0 nginx -c "$work/nginx.conf" -g "daemon on;" 2>/dev/null
start0 "$work/caddy.log" HOME="$work" XDG_DATA_HOME="$work" caddy run --config "$work/Caddyfile" --adapter caddyfile
start0 "$work/ingress.log" STATIC_BACKENDS=http://127.0.0.1:18081 LISTEN_ADDR=127.0.0.1:18094 STATS_PORT=0 ACCESS_LOG=off "$bin" ingress
ingress_pid=$last
start0 /dev/null STATIC_BACKENDS=http://127.0.0.1:18081 LISTEN_ADDR=127.0.0.1:18095 STATS_PORT=0 ACCESS_LOG=on "$bin" ingress
start0 /dev/null STATIC_BACKENDS=http://127.0.0.1:18081 LISTEN_ADDR=127.0.0.1:18097 STATS_PORT=0 ACCESS_LOG=off FAST_PATH=off "$bin" ingress
start0 "$work/proxy.log" BACKEND_HOST=127.0.0.1:18081 SERVICE_PORTS=18096 ACCESS_LOG=off "$bin" proxy
sleep 2

targets=(direct=18081 haproxy=18090 nginx=18091 caddy=18092 ingress=18094 ingress+log=18095 ingress-nethttp=18097 swarmlab-proxy=18096)
declare -A rps p99 errs
for ((r = 1; r <= rounds; r++)); do
  for t in "${targets[@]}"; do
    name=${t%%=*}; url=http://127.0.0.1:${t#*=}/
    if ! curl -fsS -o /dev/null -m 3 "$url"; then rps[$name]=0; p99[$name]=-; errs[$name]=unreachable; continue; fi
    taskset -c 1 wrk -t1 -c"$conns" -d1s "$url" >/dev/null 2>&1 # warm-up
    out=$(taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" --latency "$url" 2>&1)
    v=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    l=$(awk '$1=="99%" {print $2}' <<<"$out")
    e=$(awk '/Non-2xx|Socket errors/' <<<"$out" | tr '\n' ' ')
    # keep the best round of each target: noise only ever slows a run down
    if [ -z "${rps[$name]:-}" ] || awk -v a="$v" -v b="${rps[$name]}" 'BEGIN{exit !(a>b)}'; then
      rps[$name]=$v; p99[$name]=$l; errs[$name]=$e
    fi
    if [ "$name" = ingress ]; then
      rss=$(awk '/VmRSS|VmHWM/ {printf "%s %s %s  ", $1, $2, $3}' "/proc/$ingress_pid/status")
    fi
  done
done

ms() { awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v); print v+0} else if (v ~ /s$/) {sub(/s/,"",v); print v*1000} else print 0 }'; }
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  cores: $(nproc)  cpu: $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | xargs)"
echo "wrk: -t1 -c$conns -d${secs}s, rounds: $rounds (best kept)"
printf '| %-15s | %10s | %9s | %9s | %10s | %s |\n' target req/s p99 vs-direct vs-haproxy errors
printf '|-----------------|-----------:|----------:|----------:|-----------:|--------|\n'
for t in "${targets[@]}"; do
  name=${t%%=*}
  d=${rps[direct]:-0}; h=${rps[haproxy]:-0}; v=${rps[$name]:-0}
  rd=$(awk -v a="$v" -v b="$d" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }')
  rh=$(awk -v a="$v" -v b="$h" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }')
  printf '| %-15s | %10s | %9s | %9s | %10s | %s |\n' "$name" "$v" "${p99[$name]}" "$rd" "$rh" "${errs[$name]:-}"
done
echo "ingress memory under load: ${rss:-?}"
p_i=$(ms "${p99[ingress]:-0}"); p_h=$(ms "${p99[haproxy]:-0}")
if awk -v a="${rps[ingress]:-0}" -v b="${rps[haproxy]:-0}" -v pa="$p_i" -v pb="$p_h" 'BEGIN{exit !(a>=b && pa<=pb)}'; then
  echo "goal met: ingress req/s >= haproxy and p99 <= haproxy"
else
  echo "goal NOT met: ingress req/s >= haproxy and p99 <= haproxy"
fi
