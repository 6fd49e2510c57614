#!/usr/bin/env bash
# The learner's window (swarmlab open) on a running hands-on lab: the page's
# first load, keystroke to echo through the page's WebSocket into a node's
# shell (p50 and p99 over 1,000 keys; goal p50 <= 10 ms, p99 <= 30 ms), and
# the server's memory with 4 terminals open and idle.
#
#   bench/window.sh [idle]          idle: a Go duration, default 1h
#
# Env: SWARMLAB_BIN  use this binary instead of building ./cmd/swarmlab
#      LAB           the lab's name (default swarmlab); it must be up:
#                    swarmlab --name LAB up --hands-on
#      KEYS          keystrokes to time (default 1000)
# Record the results in docs/benchmarks.md.
set -euo pipefail
idle=${1:-1h}
lab=${LAB:-swarmlab}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$repo"
bin=${SWARMLAB_BIN:-}
if [ -z "$bin" ]; then
  bin=$work/swarmlab
  CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$bin" ./cmd/swarmlab
fi
go build -o "$work/windowbench" ./bench/windowbench

"$bin" --name "$lab" open --no-browser >"$work/open.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/?token=[^ ]*' "$work/open.log" || true)
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -z "$url" ]; then
  cat "$work/open.log" >&2
  echo "swarmlab open printed no link" >&2
  exit 1
fi
echo "== swarmlab open on lab $lab ($(nproc) cores, $(uname -sr))"
"$work/windowbench" -url "$url" -pid "$pid" -keys "${KEYS:-1000}" -idle "$idle"
