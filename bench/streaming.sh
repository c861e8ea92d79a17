#!/usr/bin/env bash
# Streaming training at 1×, 4× and 16× the IMDB training reviews (25,000,
# 100,000, 400,000): peak RSS, wall time per training example and test
# accuracy, against training in memory.
#
#   bash bench/streaming.sh [CONFIG] [SIZES]   # default configs/imdb.yaml, "1 4 16"
#
# Copy 0 of each review is the review; copies 1.. drop each word with
# probability 0.1 (seeded), so that rows differ and the vocabulary stays
# the reviews'. Labels are kept. Every run is a whole process under
# /usr/bin/time -v (RUNS of each warm streaming run, default 3: medians)
# on the IMDB test split (25,000 reviews, in memory in
# both ways). A streaming run is timed twice: "cold" counts the n-grams
# and writes the rows cache, "warm" reuses the cache. The last lines
# measure what the windowed shuffle costs: 16× with a shuffle buffer of
# 4,096 rows and with one holding every row (a uniform shuffle).
#
# Needs ../shared/datasets/aclImdb_v1.tar.gz (or DLC_DATA with imdb
# fetched). Works in $BENCH_DIR (default /tmp/dlc-bench-streaming). The
# machine is shared: compare within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cfg=$root/${1:-configs/imdb.yaml}
sizes=${2:-1 4 16}
dir=${BENCH_DIR:-/tmp/dlc-bench-streaming}
archive=$root/../shared/datasets/aclImdb_v1.tar.gz
sha=83a9c6b433babfb477204e9fb274da298a1c68b74bdf9e1924c067e1bb30b103
mkdir -p "$dir"
export DLC_DATA=${DLC_DATA:-$dir/data}
go build -o "$dir/dlc" ./cmd/dlc
dlc=$dir/dlc
[ -f "$DLC_DATA/imdb/train.jsonl" ] || "$dlc" fetch imdb --from "$archive" --sha256 "$sha" >&2
train=$DLC_DATA/imdb/train.jsonl
test=$DLC_DATA/imdb/test.jsonl

for k in $sizes; do
  [ -f "$dir/train-$k.jsonl" ] || python3 - "$train" "$k" "$dir/train-$k.jsonl" <<'EOF'
import json, random, sys
src, k, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = [json.loads(l) for l in open(src, encoding="utf-8")]
rng = random.Random(17)
with open(dst, "w", encoding="utf-8") as out:
    for c in range(k):
        for r in rows:
            text = r["text"]
            if c > 0:
                text = " ".join(w for w in text.split(" ") if rng.random() >= 0.1)
            out.write(json.dumps({"text": text, "label": r["label"]}) + "\n")
EOF
done

# run NAME EXAMPLES ARGS...: RUNS training processes; prints the medians of
# wall time and peak RSS (the machine is shared: both vary run to run),
# the wall time per example and the test accuracy (the same every run).
runs=${RUNS:-3}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
run() {
  local name=$1 n=$2 walls= rsss= acc= i
  shift 2
  for i in $(seq "$runs"); do
    /usr/bin/time -v "$dlc" train --config "$cfg" --set data.dataset= --set "data.test=$test" --out "$dir/model.dlc" "$@" \
      >"$dir/out.txt" 2>"$dir/err.txt" || { cat "$dir/err.txt" >&2; exit 1; }
    walls+="$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$dir/err.txt") "
    rsss+="$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$dir/err.txt") "
    acc=$(sed -n 's/^test accuracy \([0-9.]*\).*/\1/p' "$dir/out.txt")
  done
  local wall rss
  wall=$(echo $walls | tr ' ' '\n' | median)
  rss=$(echo $rsss | tr ' ' '\n' | median)
  printf '%-38s %8d %8.2f s %8.2f us/example %6d MiB  accuracy %s  (RSS: %s)\n' "$name" "$n" "$wall" "$(echo "$wall * 1000000 / $n" | bc -l)" "$rss" "$acc" "$rsss"
}

echo "config $(basename "$cfg"); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %8s %10s %21s %10s\n' run examples wall "per example" "peak RSS"
for k in $sizes; do
  n=$((k * 25000))
  rm -f "$dir/train-$k.jsonl.dlc-rows"
  runs=1 run "${k}x streaming, cold (writes the cache)" $n --set "data.train=$dir/train-$k.jsonl" --set training.streaming=true
  run "${k}x streaming, warm (cache reused)" $n --set "data.train=$dir/train-$k.jsonl" --set training.streaming=true
  if [ "$k" -le 4 ]; then
    runs=1 run "${k}x in memory" $n --set "data.train=$dir/train-$k.jsonl" --set training.streaming=false
  fi
done
last=${sizes##* }
n=$((last * 25000))
runs=1 run "${last}x streaming, shuffle_buffer 4096" $n --set "data.train=$dir/train-$last.jsonl" --set training.streaming=true --set training.shuffle_buffer=4096
runs=1 run "${last}x streaming, buffer = every row" $n --set "data.train=$dir/train-$last.jsonl" --set training.streaming=true --set training.shuffle_buffer=$n
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
