#!/usr/bin/env bash
# The MNIST notebook, dlc against PyTorch, whole processes measured in the
# same run: `dlc train --config configs/mnist.yaml` (read the IDX files,
# train 5 epochs, score the 10,000 test digits, save the model), then
# `dlc evaluate` of that model as a second process, and the reference
# `/usr/bin/python3 ../shared/peers/torch_mlp.py mnist` (read, train the
# same recipe, evaluate), as in ../shared/BENCHMARKS.md.
#
#   bash bench/mnist.sh [RUNS]        # RUNS per command, default 3
#
# Needs ../shared/datasets/mnist and, for the reference, PyTorch for
# /usr/bin/python3 (Debian: apt-get install python3-torch). Works in
# $BENCH_DIR (default /tmp/dlc-bench-mnist). Each command runs under
# /usr/bin/time -v (wall clock, peak RSS); the commands alternate, and which
# goes first alternates from run to run. The machine is shared: only the
# medians of runs made together, and their ratio, mean anything.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${1:-3}
dir=${BENCH_DIR:-/tmp/dlc-bench-mnist}
src=$root/../shared/datasets/mnist
peer=$root/../shared/peers/torch_mlp.py
[ -f "$src/train-images-idx3-ubyte.gz" ] || { echo "bench/mnist.sh: $src is missing" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/mnist.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "bench/mnist.sh: /usr/bin/python3 cannot import torch (apt-get update && apt-get install -y python3-torch)" >&2
  exit 1
fi
mkdir -p "$dir"
export DLC_DATA=$dir/data
go build -o "$dir/dlc" ./cmd/dlc
dlc=$dir/dlc
[ -f "$DLC_DATA/mnist/dataset.json" ] || "$dlc" fetch mnist --from "$src" >&2

# timed NAME CMD...: runs CMD under /usr/bin/time -v, keeping its stdout
# in $dir/NAME.out and printing "wall_seconds peak_rss_mib".
timed() {
  local name=$1
  shift
  /usr/bin/time -v -o "$dir/$name.time" "$@" >"$dir/$name.out" 2>"$dir/$name.err" || {
    echo "bench/mnist.sh: $* failed:" >&2
    cat "$dir/$name.err" >&2
    exit 1
  }
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i] }
    /Maximum resident set size/ { rss = $2 / 1024 }
    END { printf "%.2f %.0f\n", s, rss }' "$dir/$name.time"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A wall rss acc
add() { wall[$1]+="$2"$'\n'; rss[$1]+="$3"$'\n'; acc[$1]+="$4"$'\n'; }
run_dlc() {
  local w r a
  read -r w r < <(timed train "$dlc" train --config configs/mnist.yaml --out "$dir/mnist.dlc")
  a=$(sed -n 's/^test accuracy \([0-9.]*\),.*/\1/p' "$dir/train.out")
  add train "$w" "$r" "$a"
  echo "run $1: dlc train     $w s  $r MiB  accuracy $a" >&2
  read -r w r < <(timed evaluate "$dlc" evaluate --model "$dir/mnist.dlc")
  a=$(awk '$1 == "accuracy" { print $2 }' "$dir/evaluate.out")
  add evaluate "$w" "$r" "$a"
  echo "run $1: dlc evaluate  $w s  $r MiB  accuracy $a" >&2
}
run_torch() {
  local w r a
  read -r w r < <(timed torch /usr/bin/python3 "$peer" mnist)
  a=$(sed -n 's/.*"accuracy": \([0-9.]*\),.*/\1/p' "$dir/torch.out")
  add torch "$w" "$r" "$a"
  echo "run $1: PyTorch       $w s  $r MiB  accuracy $a" >&2
}
for ((i = 1; i <= runs; i++)); do
  if ((i % 2)); then
    run_dlc "$i"
    run_torch "$i"
  else
    run_torch "$i"
    run_dlc "$i"
  fi
done

med() { printf '%s' "$1" | median; }
printf '\n%-62s %9s %9s %9s\n' "MNIST notebook ($runs runs each, alternating; medians)" "wall s" "RSS MiB" "accuracy"
declare -A m
for k in train evaluate torch; do
  m[$k]=$(med "${wall[$k]}")
done
printf '%-62s %9.2f %9.0f %9s\n' "dlc train (read IDX, train 5 epochs, test, save)" "${m[train]}" "$(med "${rss[train]}")" "$(med "${acc[train]}")"
printf '%-62s %9.2f %9.0f %9s\n' "dlc evaluate (load the model, score the 10,000 test digits)" "${m[evaluate]}" "$(med "${rss[evaluate]}")" "$(med "${acc[evaluate]}")"
both=$(awk -v a="${m[train]}" -v b="${m[evaluate]}" 'BEGIN { printf "%.2f", a + b }')
printf '%-62s %9.2f %9s %9s\n' "dlc train + dlc evaluate" "$both" - -
printf '%-62s %9.2f %9.0f %9s\n' "PyTorch torch_mlp.py mnist (read, train 5 epochs, test)" "${m[torch]}" "$(med "${rss[torch]}")" "$(med "${acc[torch]}")"
awk -v d="${m[train]}" -v b="$both" -v t="${m[torch]}" 'BEGIN {
  printf "\nratio dlc train / PyTorch: %.3f (PyTorch takes %.1fx as long)\n", d / t, t / d
  printf "ratio dlc train + evaluate / PyTorch: %.3f\n", b / t
}'
