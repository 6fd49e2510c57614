#!/usr/bin/env bash
# The class server under a room, in ROUNDS interleaved rounds (default 3).
# Each round starts a 'swarmlab class serve' of its own on a new class
# folder, then:
#   - LEARNERS simulated learners (default 200), each joining from its own
#     loopback address and pushing a changed tutorial state every second for
#     DURATION (default 60s): the tick→board latency (p50/p99, through a real
#     server-sent-events client), the server's CPU time per minute and peak
#     memory (VmHWM) while they tick, and the ticks that failed;
#   - FETCHERS learners (default 20) downloading the first file of the
#     download point at once: the total time.
# Every round is printed, then the median of each figure.
#
# The files served: the images and releases of CLASS_DIR when it has them
# (run 'swarmlab class prepare CLASS_DIR' first to fetch a real node image;
# CLASS_DIR itself is left untouched), otherwise a 150 MB stand-in.
#
#   bench/class.sh [LEARNERS] [DURATION] [FETCHERS]
#   ROUNDS=2 bench/class.sh 20 10s 5      # a quick try
set -euo pipefail
cd "$(dirname "$0")/.."
learners=${1:-200}
duration=${2:-60s}
fetchers=${3:-20}
rounds=${ROUNDS:-3}
port=${CLASS_PORT:-27012}
work=$(mktemp -d)
srv=
stopserver() { [ -z "$srv" ] || { kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; }; srv=; }
trap 'stopserver; rm -rf "$work"' EXIT
go build -o "$work/swarmlab" ./cmd/swarmlab
go build -o "$work/classload" ./bench/classload
files=$work/files
if [ -n "${CLASS_DIR:-}" ] && [ -s "$CLASS_DIR/images/SHA256SUMS" ]; then
  files=$(cd "$CLASS_DIR" && pwd)
else
  # A stand-in the size of the compressed node image.
  mkdir -p "$files/releases"
  head -c 150M /dev/urandom >"$files/releases/standin.bin"
  (cd "$files/releases" && sha256sum standin.bin >SHA256SUMS)
fi

# serve DIR: a class server of its own on DIR; sets srv, code and secret.
serve() {
  "$work/swarmlab" class serve --dir "$1" --addr "127.0.0.1:$port" --max-learners $((learners + fetchers + 50)) >"$1.log" 2>&1 &
  srv=$!
  for _ in $(seq 100); do grep -q "token=" "$1.log" 2>/dev/null && break; sleep 0.2; done
  code=$(awk '/^Class code:/{print $3}' "$1.log")
  secret=$(grep -o 'token=[^ ]*' "$1.log" | cut -d= -f2)
  [ -n "$code" ] && [ -n "$secret" ] || { echo "class serve did not start:" >&2; cat "$1.log" >&2; exit 1; }
}

# num FILE REGEX: the first number after REGEX in FILE ("-" if none).
num() { grep -o -m1 -E "$2 *[0-9.]+" "$1" | grep -o -E '[0-9.]+$' || echo -; }
median() { tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -g | awk '{a[NR]=$1} END{ if (NR==0) print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }

load0=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A fig
for ((r = 1; r <= rounds; r++)); do
  dir=$work/class-$r
  mkdir -p "$dir"
  for sub in images releases; do [ -d "$files/$sub" ] && ln -s "$files/$sub" "$dir/$sub"; done
  serve "$dir"
  echo "round $r/$rounds: $learners learners ticking for $duration, then $fetchers fetching (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  "$work/classload" -url "http://127.0.0.1:$port" -code "$code" -secret "$secret" -pid "$srv" \
    -learners "$learners" -duration "$duration" -fetch 0 >"$work/tick-$r.log"
  "$work/classload" -url "http://127.0.0.1:$port" -code "$code" -learners "$fetchers" -duration 0s -fetch "$fetchers" >"$work/fetch-$r.log"
  stopserver
  t=$work/tick-$r.log
  fig[p50,$r]=$(num "$t" 'p50')
  fig[p99,$r]=$(num "$t" 'p99')
  fig[cpu,$r]=$(num "$t" '\(')
  fig[rss,$r]=$(num "$t" 'peak RSS')
  fig[failed,$r]=$(num "$t" 'ok,')
  fig[fetch,$r]=$(num "$work/fetch-$r.log" 'MB\) in')
  fig[db,$r]=$(du -ch "$dir/class.db"* | awk 'END{print $1}')
  [ "${fig[p50,$r]}" != - ] || { echo "round $r measured nothing:" >&2; cat "$t" >&2; exit 1; }
done

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  cores: $(nproc)  cpu: $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | xargs)  load before: $load0"
echo "$learners learners × 1 tick/s for $duration, then $fetchers fetching $(grep -o -m1 '× [^ ]* ([0-9]* MB)' "$work/fetch-1.log" | sed 's/^× //') at once; $rounds interleaved rounds, a new server each"
echo
echo "| round | tick→board p50 | p99 | server CPU while ticking | peak RSS | failed ticks | database | fetch, all at once |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|"
for ((r = 1; r <= rounds; r++)); do
  echo "| $r | ${fig[p50,$r]} ms | ${fig[p99,$r]} ms | ${fig[cpu,$r]} s/min | ${fig[rss,$r]} MB | ${fig[failed,$r]} | ${fig[db,$r]} | ${fig[fetch,$r]} s |"
done
col() { local v="" r; for ((r = 1; r <= rounds; r++)); do v+="${fig[$1,$r]} "; done; median <<<"$v"; }
echo "| **median** | **$(col p50) ms** | **$(col p99) ms** | **$(col cpu) s/min** | **$(col rss) MB** | $(col failed) | | **$(col fetch) s** |"
echo
echo "round 1 in full:"
cat "$work/tick-1.log" "$work/fetch-1.log"
p99=$(col p99)
if awk -v p="$p99" 'BEGIN{exit !(p != "-" && p <= 1000)}'; then
  echo "goal met: tick→board p99 ≤ 1 s (median of the rounds: $p99 ms)"
else
  echo "goal NOT met: tick→board p99 ≤ 1 s (median of the rounds: $p99 ms)"
fi
