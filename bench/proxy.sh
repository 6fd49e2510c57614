#!/usr/bin/env bash
# Reverse-proxy throughput on loopback: swarmlab's ingress and proxy beside
# HAProxy, nginx and Caddy, in one run, so that ratios compare like with like.
# Each proxy gets core 0 and one worker (haproxy nbthread 1, nginx one
# worker, Go GOMAXPROCS=1); the backend and wrk share core 1.
#
#   bench/proxy.sh [seconds] [connections]
#
# Env: SWARMLAB_BIN  use this binary instead of building ./cmd/swarmlab
#      ROUNDS        interleaved rounds (default 5); the median is reported,
#                    and every round is listed
#      BACKEND       nginx (default) or go: what answers behind the proxies
#      PROFILE       a file: also write the ingress's CPU profile there
#      SYSCALLS=1    also count system calls per request of haproxy, ingress
#                    and swarmlab-proxy (strace -c over a 3 s wrk run after
#                    the rounds; a count, not a speed: it needs no quiet
#                    machine, though EAGAIN reads vary with timing)
# Needs go, wrk, haproxy, nginx-light, caddy (installed with apt-get if missing).
#
# The backend must not be the bottleneck, or every proxy measures the same:
# "direct" (wrk straight to the backend) has to be well above every proxy.
# A Go net/http backend costs about as much per request as a whole proxy, so
# the default backend is nginx answering from memory; the run says whether
# direct was at least 1.2x HAProxy, and if not, that it proves nothing.
set -euo pipefail
secs=${1:-10}
conns=${2:-32}
rounds=${ROUNDS:-5}
backend=${BACKEND:-nginx}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$work"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  sleep 0.5
  rm -rf "$work"
}
trap cleanup EXIT

missing=()
for t in wrk haproxy nginx caddy taskset curl; do command -v "$t" >/dev/null || missing+=("$t"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing haproxy nginx-light caddy wrk (missing: ${missing[*]})" >&2
  apt-get install -y haproxy nginx-light caddy wrk util-linux curl >/dev/null
fi

bin=${SWARMLAB_BIN:-}
if [ -z "$bin" ]; then
  bin=$work/swarmlab
  (cd "$repo" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$bin" ./cmd/swarmlab)
fi

# The backend on core 1, answering as the lab's API does.
body='The API service is running...'
case $backend in
nginx)
  cat >"$work/backend.conf" <<CFG
worker_processes 1;
pid $work/backend.pid;
error_log $work/backend.err;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:18081 backlog=4096;
        location / { default_type text/plain; return 200 "$body\n"; }
    }
}
CFG
  taskset -c 1 nginx -c "$work/backend.conf" -g "daemon on;"
  ;;
go)
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
  taskset -c 1 "$work/backend-bin" >/dev/null 2>&1 &
  pids+=($!)
  ;;
*) echo "BACKEND must be nginx or go" >&2; exit 2 ;;
esac

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

# start0 NAME LOG [VAR=value...] CMD...: run on core 0 with one Go thread;
# taskset and env exec the command, so $! is the proxy's own PID.
declare -A pid
start0() {
  local name=$1 log=$2
  shift 2
  taskset -c 0 env GOMAXPROCS=1 "$@" >"$log" 2>&1 &
  pids+=($!)
  pid[$name]=$!
}
start0 haproxy /dev/null haproxy -f "$work/haproxy.cfg"
taskset -c 0 nginx -c "$work/nginx.conf" -g "daemon on;"
start0 caddy "$work/caddy.log" HOME="$work" XDG_DATA_HOME="$work" caddy run --config "$work/Caddyfile" --adapter caddyfile
prof=()
[ -n "${PROFILE:-}" ] && prof=(CPU_PROFILE="$PROFILE")
start0 ingress "$work/ingress.log" "${prof[@]}" STATIC_BACKENDS=127.0.0.1:18081 LISTEN_ADDR=127.0.0.1:18094 STATS_PORT=0 ACCESS_LOG=false "$bin" ingress
start0 ingress+log /dev/null STATIC_BACKENDS=127.0.0.1:18081 LISTEN_ADDR=127.0.0.1:18095 STATS_PORT=0 ACCESS_LOG=true "$bin" ingress
start0 swarmlab-proxy "$work/proxy.log" BACKEND_HOST=127.0.0.1:18081 SERVICE_PORTS=18096 ACCESS_LOG=false "$bin" proxy
sleep 2
# nginx works in a child of its master: measure the worker.
pid[nginx]=$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)
if [ "$backend" = nginx ]; then pid[direct]=$(pgrep -P "$(cat "$work/backend.pid")" | head -1); else pid[direct]=${pids[0]}; fi

targets=(direct=18081 haproxy=18090 nginx=18091 caddy=18092 ingress=18094 ingress+log=18095 swarmlab-proxy=18096)
declare -A rps p99 cpu errs
tick=$(getconf CLK_TCK)
cputime() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for ((r = 1; r <= rounds; r++)); do
  for t in "${targets[@]}"; do
    name=${t%%=*}; url=http://127.0.0.1:${t#*=}/
    if ! curl -fsS -o /dev/null -m 3 "$url"; then rps[$name,$r]=0; p99[$name,$r]=-; cpu[$name,$r]=-; errs[$name]+="unreachable "; continue; fi
    taskset -c 1 wrk -t1 -c"$conns" -d1s "$url" >/dev/null 2>&1 # warm-up
    c0=$(cputime "${pid[$name]}")
    out=$(taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" --latency "$url" 2>&1)
    c1=$(cputime "${pid[$name]}")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    rps[$name,$r]=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
    p99[$name,$r]=$(awk '$1=="99%" {print $2}' <<<"$out")
    # CPU time of the target per request, in microseconds: what a request
    # costs the proxy, whichever side of the harness is the bottleneck.
    cpu[$name,$r]=$(awk -v t=$((c1 - c0)) -v n="$n" -v hz="$tick" 'BEGIN{ if (n>0) printf "%.1f", t/hz*1e6/n; else print "-" }')
    e=$(awk '/Non-2xx|Socket errors/' <<<"$out" | tr '\n' ' ')
    [ -n "$e" ] && errs[$name]+="r$r: $e "
  done
done

ms() { awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v); print v+0} else if (v ~ /s$/) {sub(/s/,"",v); print v*1000} else print "" }'; }
median() { tr ' ' '\n' | grep -v '^-*$' | sort -g | awk '{a[NR]=$1} END{ if (NR==0) print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
declare -A mrps mp99 mcpu
for t in "${targets[@]}"; do
  name=${t%%=*}
  v=""; l=""; c=""
  for ((r = 1; r <= rounds; r++)); do v+="${rps[$name,$r]} "; l+="$(ms "${p99[$name,$r]}") "; c+="${cpu[$name,$r]} "; done
  mrps[$name]=$(median <<<"$v"); mp99[$name]=$(median <<<"$l"); mcpu[$name]=$(median <<<"$c")
done

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  cores: $(nproc)  cpu: $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | xargs)  load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t1 -c$conns -d${secs}s, $rounds interleaved rounds, backend: $backend; medians, then every round"
echo
printf '| %-15s | %8s | %9s | %10s | %9s | %10s |\n' target req/s p99 "cpu µs/req" vs-direct vs-haproxy
printf '|-----------------|---------:|----------:|-----------:|----------:|-----------:|\n'
for t in "${targets[@]}"; do
  name=${t%%=*}
  rd=$(awk -v a="${mrps[$name]}" -v b="${mrps[direct]}" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }')
  rh=$(awk -v a="${mrps[$name]}" -v b="${mrps[haproxy]}" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }')
  printf '| %-15s | %8s | %7s ms | %10s | %9s | %10s |\n' "$name" "${mrps[$name]}" "${mp99[$name]}" "${mcpu[$name]}" "$rd" "$rh"
done
echo
printf '| %-15s |' "round"
for ((r = 1; r <= rounds; r++)); do printf ' %s |' "req/s, p99, µs/req ($r)"; done
echo
printf '|-----------------|'; for ((r = 1; r <= rounds; r++)); do printf -- '----|'; done; echo
for t in "${targets[@]}"; do
  name=${t%%=*}
  printf '| %-15s |' "$name"
  for ((r = 1; r <= rounds; r++)); do printf ' %s, %s, %s |' "${rps[$name,$r]}" "${p99[$name,$r]}" "${cpu[$name,$r]}"; done
  echo
done
for t in "${targets[@]}"; do name=${t%%=*}; [ -n "${errs[$name]:-}" ] && echo "errors, $name: ${errs[$name]}"; done
echo "ingress memory after the run: $(awk '/VmRSS|VmHWM/ {printf "%s %s %s  ", $1, $2, $3}' "/proc/${pid[ingress]}/status")"
echo
if awk -v d="${mrps[direct]}" -v h="${mrps[haproxy]}" 'BEGIN{exit !(d >= 1.2*h)}'; then
  echo "harness: direct is $(awk -v d="${mrps[direct]}" -v h="${mrps[haproxy]}" 'BEGIN{printf "%.2f", d/h}')x HAProxy: the proxies, not the harness, set the pace"
else
  echo "harness: direct is NOT 1.2x HAProxy: wrk and the backend are the bottleneck and this run says nothing about the proxies"
fi
if awk -v a="${mrps[ingress]}" -v b="${mrps[haproxy]}" -v pa="${mp99[ingress]}" -v pb="${mp99[haproxy]}" 'BEGIN{exit !(a>=b && pa<=pb)}'; then
  echo "goal met: ingress req/s >= haproxy and p99 <= haproxy (medians)"
else
  echo "goal NOT met: ingress req/s >= haproxy and p99 <= haproxy (medians)"
fi
if [ "${SYSCALLS:-}" = 1 ]; then
  command -v strace >/dev/null || apt-get install -y strace >/dev/null
  echo
  echo "system calls per request (strace -c -f over wrk -t1 -c$conns -d3s):"
  for t in haproxy=18090 ingress=18094 swarmlab-proxy=18096; do
    name=${t%%=*}
    strace -c -f -p "${pid[$name]}" -o "$work/strace.$name" 2>/dev/null &
    st=$!
    sleep 1
    n=$(taskset -c 1 wrk -t1 -c"$conns" -d3s "http://127.0.0.1:${t#*=}/" | awk '/requests in/ {print $1}')
    kill -INT $st; wait $st 2>/dev/null || true
    # strace -c columns: % time, seconds, usecs/call, calls, [errors], syscall
    awk -v n="$n" -v name="$name" '/^ *[0-9]/ && $NF!="total" && $4/n >= 0.05 {
        s = s sprintf(" %s %.2f", $NF, $4/n); if (NF==6) s = s sprintf(" (%.2f failed)", $5/n) }
      $NF=="total" {tot=$4/n}
      END {printf "  %-15s %.2f/request over %d requests:%s\n", name, tot, n, s}' "$work/strace.$name"
  done
fi
if [ -n "${PROFILE:-}" ]; then
  kill -INT "${pid[ingress]}"; sleep 1
  echo "ingress CPU profile: $PROFILE (go tool pprof -top $bin $PROFILE)"
fi
