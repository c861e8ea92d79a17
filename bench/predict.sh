#!/usr/bin/env bash
# Prediction throughput and one-line latency of `dlc predict` on the 25,000
# IMDB test reviews, against fastText's `predict` in the same run when the
# fasttext command is installed (Debian: apt-get install fasttext), as in
# ../shared/BENCHMARKS.md ("prediction throughput / latency").
#
#   bash bench/predict.sh [RUNS]        # RUNS per command, default 5
#
# Needs ../shared/datasets/aclImdb_v1.tar.gz. Works in $BENCH_DIR (default
# /tmp/dlc-bench-predict): builds dlc, fetches IMDB, trains configs/imdb.yaml,
# writes the test reviews one per line (test.txt; no IMDB review holds a
# newline), and for fastText the same reviews tokenized as BENCHMARKS.md
# tokenizes them, with a default model trained on the training reviews.
# The commands are alternated, run after run, and the medians compared:
# the machine is shared, so only ratios measured together mean anything.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${1:-5}
dir=${BENCH_DIR:-/tmp/dlc-bench-predict}
archive=$root/../shared/datasets/aclImdb_v1.tar.gz
sha=83a9c6b433babfb477204e9fb274da298a1c68b74bdf9e1924c067e1bb30b103
[ -f "$archive" ] || { echo "bench/predict.sh: $archive is missing" >&2; exit 1; }
mkdir -p "$dir"
export DLC_DATA=$dir/data

go build -o "$dir/dlc" ./cmd/dlc
dlc=$dir/dlc
[ -f "$DLC_DATA/imdb/test.jsonl" ] || "$dlc" fetch imdb --from "$archive" --sha256 "$sha" >&2
[ -f "$dir/imdb.dlc" ] || "$dlc" train --config configs/imdb.yaml --out "$dir/imdb.dlc" --quiet >&2
if [ ! -f "$dir/test.txt" ]; then
  # One review per line: the text field of each JSONL line, unescaped.
  go run ./bench/jsonltext "$DLC_DATA/imdb/test.jsonl" >"$dir/test.txt"
fi
lines=$(wc -l <"$dir/test.txt")
one="This movie was a wonderful surprise, moving and beautifully acted."

have_ft=
if command -v fasttext >/dev/null && [ -f "$root/../shared/peers/ft_prepare.py" ]; then
  have_ft=1
  anchors=$dir/anchors
  if [ ! -f "$anchors/imdb/ft_test_text.txt" ]; then
    /usr/bin/python3 "$root/../shared/peers/prepare.py" --out "$anchors" imdb >&2
    ANCHORS_DATA=$anchors /usr/bin/python3 "$root/../shared/peers/ft_prepare.py" imdb >&2
  fi
  [ -f "$dir/ft.bin" ] || fasttext supervised -input "$anchors/imdb/ft_train.txt" -output "$dir/ft" -thread 2 -verbose 0
fi

# secs CMD...: wall-clock seconds of one run of CMD (stdout discarded).
secs() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", a / b }'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A t
add() { t[$1]+="$2"$'\n'; }
for ((i = 0; i < runs; i++)); do
  add dlc_file "$(secs sh -c "'$dlc' predict --model '$dir/imdb.dlc' <'$dir/test.txt'")"
  add dlc_pipe "$(secs sh -c "cat '$dir/test.txt' | '$dlc' predict --model '$dir/imdb.dlc'")"
  add dlc_jsonl "$(secs "$dlc" predict --model "$dir/imdb.dlc" --input "$DLC_DATA/imdb/test.jsonl")"
  add dlc_one "$(secs sh -c "echo '$one' | '$dlc' predict --model '$dir/imdb.dlc'")"
  if [ -n "$have_ft" ]; then
    add ft_file "$(secs fasttext predict "$dir/ft.bin" "$anchors/imdb/ft_test_text.txt")"
    add ft_one "$(secs sh -c "echo '$one' | fasttext predict '$dir/ft.bin' -")"
  fi
done

printf '%-58s %10s %12s\n' "what ($runs runs, median)" "wall s" "lines/s"
row() {
  local m
  m=$(printf '%s' "${t[$1]}" | median)
  printf '%-58s %10.3f %12s\n' "$2" "$m" "$([ "$3" = - ] && echo - || printf '%.0f' "$(div "$3" "$m")")"
  eval "med_$1=$m"
}
row dlc_file "dlc predict < test.txt ($lines raw reviews, a file)" "$lines"
row dlc_pipe "cat test.txt | dlc predict (streamed line by line)" "$lines"
row dlc_jsonl "dlc predict --input test.jsonl" "$lines"
row dlc_one "dlc predict, one line (start, load model, answer)" -
if [ -n "$have_ft" ]; then
  row ft_file "fasttext predict, $lines tokenized reviews" "$lines"
  row ft_one "fasttext predict, one line" -
  printf 'throughput dlc/fastText: file %.2fx, pipe %.2fx, jsonl %.2fx; one-line latency fastText/dlc %.1fx\n' \
    "$(div "$med_ft_file" "$med_dlc_file")" "$(div "$med_ft_file" "$med_dlc_pipe")" \
    "$(div "$med_ft_file" "$med_dlc_jsonl")" "$(div "$med_ft_one" "$med_dlc_one")"
else
  echo "(fasttext not installed: compare with ../shared/BENCHMARKS.md, 1.107 s = 22,584 lines/s and 0.228 s for one line)"
fi
