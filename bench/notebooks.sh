#!/usr/bin/env bash
# The text notebooks, dlc against PyTorch, whole processes in the same run:
# `dlc train` of the notebook's config (read the JSONL, vectorize, train,
# score the test split, write the model) and the reference
# `/usr/bin/python3 ../shared/peers/torch_mlp.py DATASET` (the same recipe,
# the protocol of ../shared/BENCHMARKS.md), alternating, which goes first
# alternating too; prints medians of wall time and peak RSS and their ratio.
#
#   go build -o bin/dlc ./cmd/dlc
#   /usr/bin/python3 ../shared/peers/prepare.py --out /tmp/anchors-data   # the peer's TSV files
#   DLC_DATA=... ANCHORS_DATA=/tmp/anchors-data bash bench/notebooks.sh [RUNS]   # default 3
#
# DLC_DATA must hold the fetched imdb and reuters datasets. Needs GNU
# /usr/bin/time and PyTorch for /usr/bin/python3 (apt-get install
# python3-torch). MNIST has its own script, bench/mnist.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
dlc=${DLC:-bin/dlc}
peer=${PEERS:-../shared/peers}/torch_mlp.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$dlc" ] || { echo "bench/notebooks.sh: $dlc is missing; go build -o bin/dlc ./cmd/dlc" >&2; exit 1; }

# measure NAME CMD...: appends "wall_s rss_mib" of one run to $tmp/NAME and
# keeps the test accuracy it printed in $tmp/NAME.acc.
measure() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$tmp/one" "$@" >"$tmp/out" 2>"$tmp/err" || { echo "bench/notebooks.sh: $* failed:" >&2; cat "$tmp/err" >&2; exit 1; }
	awk '{printf "%s %.0f\n", $1, $2/1024}' "$tmp/one" >>"$tmp/$name"
	grep -ho 'test accuracy [0-9.]*\|"accuracy": [0-9.]*' "$tmp/out" | grep -o '[0-9.]*$' | head -1 >"$tmp/$name.acc" || true
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '%-28s %9s %9s %8s %16s %s\n' notebook "dlc s" "torch s" ratio "MiB dlc/torch" "accuracy dlc/torch"
for pair in imdb:imdb reuters-notebook:r52; do
	config=${pair%%:*} data=${pair##*:}
	for ((i = 1; i <= runs; i++)); do
		if ((i % 2)); then
			measure "dlc-$config" "$dlc" train --quiet --config "configs/$config.yaml" --out "$tmp/m.dlc"
			measure "torch-$data" /usr/bin/python3 "$peer" "$data"
		else
			measure "torch-$data" /usr/bin/python3 "$peer" "$data"
			measure "dlc-$config" "$dlc" train --quiet --config "configs/$config.yaml" --out "$tmp/m.dlc"
		fi
	done
	dw=$(cut -d' ' -f1 "$tmp/dlc-$config" | median) dm=$(cut -d' ' -f2 "$tmp/dlc-$config" | median)
	pw=$(cut -d' ' -f1 "$tmp/torch-$data" | median) pm=$(cut -d' ' -f2 "$tmp/torch-$data" | median)
	printf '%-28s %9s %9s %7.1fx %16s %s / %s\n' "configs/$config.yaml" "$dw" "$pw" "$(echo "$pw / $dw" | bc -l)" "$dm / $pm" "$(cat "$tmp/dlc-$config.acc")" "$(cat "$tmp/torch-$data.acc")"
done
