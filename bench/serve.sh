#!/usr/bin/env bash
# dlc serve under load from wrk, on this machine (server and load generator
# sharing its cores), with the IMDB notebook model (configs/imdb.yaml):
#
#   1. single   one review per request, 64 connections: requests/s, p50/p99
#   2. block    1,000 reviews per request, 4 connections: texts/s
#   3. reload   64 connections for 60 s while the model file is replaced 20
#               times (renamed over, as dlc train writes it): failed requests,
#               reloads counted, the sha256 /v1/models ends on
#   4. sigterm  SIGTERM 4 s into a 64-connection run: the server's exit
#               status, and every request it logged answered 200 and seen by
#               wrk as answered
#   5. equal    the 25,000 test reviews in requests of 1 to 1,000 texts: every
#               answer equal, byte for byte, to dlc predict --format json's
#   6. abuse    slow headers, huge and malformed bodies: the server's peak RSS
#
#   bash bench/serve.sh [RUNS]     # RUNS of phases 1, 2 and 4 (default 3)
#
# Needs ../shared/datasets/aclImdb_v1.tar.gz (or DLC_DATA holding imdb).
# Installs wrk (Debian's package) when it is missing. Works in $BENCH_DIR
# (default /tmp/dlc-bench-serve). The server writes its JSON log (one line
# per request) to a file there, as it would in production. Set WINDOW to a
# --batch-window (default 0), DURATION to phase 1 and 2's seconds (20),
# ONLY=load to run phases 1 and 2 alone (to compare windows), DLC to a dlc
# binary to serve instead of one built from this tree (to compare two
# builds in alternating runs), PORT to the port served on (18093), and
# WRK_THREADS to wrk's threads for the 64-connection runs (default 1).
#
# Why one wrk thread: wrk and the server share the 2 cores, and wrk's
# latency includes every moment its own thread waits for one. One thread
# drives 64 connections at 20,000-26,000 requests/s on about 0.4 of a core
# (17-22 us of CPU per request); two threads take 35-46 us per request for
# the same work (each wakes for half the events), and the third runnable
# thread beside the server's two stretches the tail: quiet, alternating,
# p99 14.6-16.7 ms with -t2 against 10.4-12.4 ms with -t1 (main 6bfe065).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${1:-3}
threads=${WRK_THREADS:-1}
dir=${BENCH_DIR:-/tmp/dlc-bench-serve}
window=${WINDOW:-0}
duration=${DURATION:-20}
archive=$root/../shared/datasets/aclImdb_v1.tar.gz
sha=83a9c6b433babfb477204e9fb274da298a1c68b74bdf9e1924c067e1bb30b103
mkdir -p "$dir"
export DLC_DATA=${DLC_DATA:-$dir/data}

if ! command -v wrk >/dev/null; then
  echo "--- apt-get install wrk" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends wrk >&2
fi

if [ -n "${DLC:-}" ]; then
  dlc=$(realpath "$DLC")
else
  go build -o "$dir/dlc" ./cmd/dlc
  dlc=$dir/dlc
fi
go build -o "$dir/serveclient" ./bench/serveclient
client=$dir/serveclient
if [ ! -f "$DLC_DATA/imdb/test.jsonl" ]; then
  [ -f "$archive" ] || { echo "bench/serve.sh: $archive is missing" >&2; exit 1; }
  "$dlc" fetch imdb --from "$archive" --sha256 "$sha" >&2
fi
test=$DLC_DATA/imdb/test.jsonl
# Two versions of the notebook model, for the replacements.
[ -f "$dir/imdb-a.dlc" ] || "$dlc" train --config configs/imdb.yaml --out "$dir/imdb-a.dlc" --quiet >&2
[ -f "$dir/imdb-b.dlc" ] || "$dlc" train --config configs/imdb.yaml --set training.seed=7 --out "$dir/imdb-b.dlc" --quiet >&2
[ -f "$dir/bodies-1.txt" ] || "$client" bodies -per 1 -n 5000 "$test" >"$dir/bodies-1.txt"
[ -f "$dir/bodies-1000.txt" ] || "$client" bodies -per 1000 -n 25 "$test" >"$dir/bodies-1000.txt"
[ -f "$dir/predict.jsonl" ] || "$dlc" predict --model "$dir/imdb-a.dlc" --format json --input "$test" >"$dir/predict.jsonl"

port=${PORT:-18093}
base=http://127.0.0.1:$port
url=$base/v1/models/imdb:predict
pid=

# start: a server for imdb.dlc (a copy of imdb-a.dlc), its log in serve.log.
start() {
  cp "$dir/imdb-a.dlc" "$dir/imdb.dlc"
  "$dlc" serve --model "imdb=$dir/imdb.dlc" --addr "127.0.0.1:$port" --log-format json --batch-window "$window" 2>"$dir/serve.log" &
  pid=$!
  for _ in $(seq 100); do
    curl -sf "$base/readyz" >/dev/null && return
    sleep 0.05
  done
  echo "bench/serve.sh: the server did not start" >&2; cat "$dir/serve.log" >&2; exit 1
}
stop() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
trap 'kill -9 $pid 2>/dev/null || true' EXIT

# cpu: the CPU seconds (user + system) process $pid has used so far.
cpu() { awk -v t="$(getconf CLK_TCK)" '{printf "%.2f\n", ($14 + $15) / t}' "/proc/$pid/stat"; }
# timed OUT ARGS...: runs wrk ARGS with its output in OUT and its own CPU
# seconds in OUT.cpu, and the server's CPU seconds meanwhile in OUT.srv.
timed() {
  local out=$1 c0
  shift
  c0=$(cpu)
  /usr/bin/time -f "%U %S" -o "$out.cpu" wrk "$@" >"$out"
  awk -v a="$c0" -v b="$(cpu)" 'BEGIN {printf "%.2f\n", b - a}' >"$out.srv"
}
# perreq OUT INPUTS: server and wrk CPU microseconds per input of a run.
perreq() {
  local n
  n=$(awk '/requests in/ {print $1}' "$1")
  awk -v s="$(cat "$1.srv")" -v n="$n" -v k="$2" -v c="$(awk '{print $1 + $2}' "$1.cpu")" 'BEGIN {printf "CPU per input: server %.1f us, wrk %.1f us", s / n / k * 1e6, c / n / k * 1e6}'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
minmax() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%s-%s", lo, hi}'; }
# ms: wrk's latency (e.g. 812.00us, 4.21ms, 1.02s) in milliseconds.
ms() { awk '{v=$1; if (v ~ /us$/) print v/1000; else if (v ~ /ms$/) print v+0; else print v*1000}'; }
reqs() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
# non2xx: wrk's count of answers that were not 2xx (it prints none for 0).
non2xx() { awk '/Non-2xx/ {n = $NF} END {print n + 0}' "$1"; }
errors() { awk '/Socket errors/ {sub(/^ */, ", "); printf "%s", $0}' "$1"; }

declare -a single_rps single_p50 single_p99 block_tps
echo "# dlc serve ($dlc), IMDB notebook model, --batch-window $window, $(nproc) cores (shared with wrk, $threads thread(s) for 64 connections)"
for r in $(seq "$runs"); do
  start
  # A short warm-up, then the measured run.
  wrk -t"$threads" -c64 -d3s -s bench/serve.lua "$url" -- "$dir/bodies-1.txt" >/dev/null
  timed "$dir/wrk-single-$r.txt" -t"$threads" -c64 -d"${duration}s" --latency -s bench/serve.lua "$url" -- "$dir/bodies-1.txt"
  timed "$dir/wrk-block-$r.txt" -t1 -c4 -d"${duration}s" --latency -s bench/serve.lua "$url" -- "$dir/bodies-1000.txt"
  stop
  f=$dir/wrk-single-$r.txt
  single_rps+=("$(reqs "$f")")
  single_p50+=("$(awk '$1=="50%" {print $2}' "$f" | ms)")
  single_p99+=("$(awk '$1=="99%" {print $2}' "$f" | ms)")
  block_tps+=("$(awk -v r="$(reqs "$dir/wrk-block-$r.txt")" 'BEGIN {print r*1000}')")
  echo "run $r: single ${single_rps[-1]} req/s, p50 ${single_p50[-1]} ms, p99 ${single_p99[-1]} ms, non-2xx $(non2xx "$f")$(errors "$f"), $(perreq "$f" 1); block ${block_tps[-1]} texts/s, non-2xx $(non2xx "$dir/wrk-block-$r.txt")$(errors "$dir/wrk-block-$r.txt"), $(perreq "$dir/wrk-block-$r.txt" 1000); load average $(cut -d' ' -f1 /proc/loadavg)"
done
echo "single text, 64 connections: $(printf '%s\n' "${single_rps[@]}" | median) req/s (min-max $(printf '%s\n' "${single_rps[@]}" | minmax)), p50 $(printf '%s\n' "${single_p50[@]}" | median) ms, p99 $(printf '%s\n' "${single_p99[@]}" | median) ms (min-max $(printf '%s\n' "${single_p99[@]}" | minmax))"
echo "1,000 texts per request, 4 connections: $(printf '%s\n' "${block_tps[@]}" | median) texts/s (min-max $(printf '%s\n' "${block_tps[@]}" | minmax))"

[ "${ONLY:-}" = load ] && exit 0

# 3. reload: 20 replacements during a 60 s run.
start
wrk -t"$threads" -c64 -d60s --latency -s bench/serve.lua "$url" -- "$dir/bodies-1.txt" >"$dir/wrk-reload.txt" &
wrkpid=$!
for i in $(seq 20); do
  sleep 2.5
  if [ $((i % 2)) = 1 ]; then src=$dir/imdb-b.dlc; else src=$dir/imdb-a.dlc; fi
  cp "$src" "$dir/.imdb.dlc.tmp" && mv "$dir/.imdb.dlc.tmp" "$dir/imdb.dlc"
done
wait "$wrkpid"
served=$("$client" sha -url "$base" -model imdb)
reloads=$(curl -s "$base/metrics" | awk '/^dlc_model_reloads_total\{model="imdb",result="ok"\}/ {print $2}')
failed=$(curl -s "$base/metrics" | awk '/^dlc_model_reloads_total\{model="imdb",result="failed"\}/ {print $2}')
stop
f=$dir/wrk-reload.txt
echo "reload: 20 replacements in 60 s: $(reqs "$f") req/s, $(awk '/requests in/ {print $1}' "$f") requests, non-2xx $(non2xx "$f")$(errors "$f"), p99 $(awk '$1=="99%" {print $2}' "$f"); reloads ok $reloads, failed $failed; /v1/models sha256 ${served:0:12}, last file ${src##*/} $(sha256sum "$src" | cut -c1-12)"

# 4. SIGTERM 4 s into a 10 s run.
for r in $(seq "$runs"); do
  start
  wrk -t"$threads" -c64 -d10s -s bench/serve.lua "$url" -- "$dir/bodies-1.txt" >"$dir/wrk-term-$r.txt" 2>&1 &
  wrkpid=$!
  sleep 4
  kill -TERM "$pid"
  set +e; wait "$pid"; code=$?; set -e
  wait "$wrkpid" || true
  f=$dir/wrk-term-$r.txt
  done200=$(grep -c '"msg":"request","method":"POST".*"status":200' "$dir/serve.log" || true)
  other=$(grep '"msg":"request"' "$dir/serve.log" | grep -vc '"status":200' || true)
  got=$(awk '/requests in/ {print $1}' "$f")
  echo "sigterm run $r: exit $code; the server answered $done200 requests 200 and $other otherwise; wrk read $got answers, non-2xx $(non2xx "$f")$(errors "$f") (connections refused or reset after the listener closed); $(grep -o '"msg":"drained","seconds":[0-9.e-]*' "$dir/serve.log")"
done

# 5. Every answer equal to dlc predict --format json's.
start
"$client" check -url "$url" -texts "$test" -want "$dir/predict.jsonl"

# 6. Abuse, and the server's peak memory.
"$client" abuse -url "$url" -pid "$pid"
curl -sf "$base/healthz" >/dev/null && echo "after the abuse the server answers /healthz"
stop
