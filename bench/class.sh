#!/usr/bin/env bash
# The class server under a room: LEARNERS simulated learners (default 200),
# each joining from its own loopback address and pushing a changed tutorial
# state every second for DURATION (default 60s), against a 'swarmlab class
# serve' of its own. Prints the tick→board latency (p50/p90/p99/max, through
# a real server-sent-events client), the server's CPU time and peak memory,
# then FETCHERS (default 20) learners downloading the first file of the
# download point at once (run 'swarmlab class prepare' into CLASS_DIR first
# to fetch a real node image; otherwise a 150 MB stand-in file is served).
#
#   bench/class.sh [LEARNERS] [DURATION] [FETCHERS]
set -euo pipefail
cd "$(dirname "$0")/.."
learners=${1:-200}
duration=${2:-60s}
fetchers=${3:-20}
port=${CLASS_PORT:-27012}
work=$(mktemp -d)
trap 'kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/swarmlab" ./cmd/swarmlab
go build -o "$work/classload" ./bench/classload
dir=${CLASS_DIR:-$work/class}
if [ ! -s "$dir/images/SHA256SUMS" ]; then
  # A stand-in the size of the compressed node image.
  mkdir -p "$dir/releases"
  head -c 150M /dev/urandom >"$dir/releases/standin.bin"
  (cd "$dir/releases" && sha256sum standin.bin >SHA256SUMS)
fi
"$work/swarmlab" class serve --dir "$dir" --addr "127.0.0.1:$port" --max-learners $((learners + 50)) >"$work/serve.log" 2>&1 &
srv=$!
for _ in $(seq 50); do grep -q "token=" "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
code=$(awk '/^Class code:/{print $3}' "$work/serve.log")
secret=$(grep -o 'token=[^ ]*' "$work/serve.log" | cut -d= -f2)
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $learners learners, a tick each per second, for $duration"
"$work/classload" -url "http://127.0.0.1:$port" -code "$code" -secret "$secret" -learners "$learners" -duration "$duration" -fetch 0 &
load=$!
# Sample the server's memory while the learners tick.
peak=0
while kill -0 "$load" 2>/dev/null; do
  rss=$(awk '/VmRSS/{print $2}' "/proc/$srv/status" 2>/dev/null || echo 0)
  [ "${rss:-0}" -gt "$peak" ] && peak=$rss
  sleep 1
done
wait "$load"
read -r utime stime < <(awk '{print $14, $15}' "/proc/$srv/stat")
tck=$(getconf CLK_TCK)
echo "server: CPU $(( (utime + stime) * 1000 / tck )) ms in all (user+system), peak RSS $((peak / 1024)) MB, database $(du -h "$dir/class.db"* | awk '{print $1}' | paste -sd+)"
echo "== $fetchers learners fetching at once"
"$work/classload" -url "http://127.0.0.1:$port" -code "$code" -learners "$fetchers" -duration 0s -fetch "$fetchers"
