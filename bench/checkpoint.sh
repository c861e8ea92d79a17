#!/usr/bin/env bash
# What checkpoints cost: the IMDB recipe (configs/imdb-ngrams.yaml: 437k
# features × 32 units, Adagrad, 4,456 updates with the calibration
# network's; a checkpoint is 224 MB, 336 MB while calibrating, with the
# model's network beside it) trained as a whole `dlc train` without
# checkpoints (A) and with one every N updates (B, default 100, nothing
# by epoch or time), in turns A B A B ..., each pair's ratio B/A of wall
# time and of train seconds (the "train" of dlc's last progress line:
# training and calibrating, without reading and vectorizing). Prints every
# pair and the medians. Every B run's model is compared with A's, byte for
# byte.
#
#   go build -o bin/dlc ./cmd/dlc
#   DLC_DATA=... bash bench/checkpoint.sh [PAIRS] [N]       # default 3 pairs, N = 100
#
# Then the kill test at full length: 20 SIGKILLs per config, the R52
# recipe its whole 15 epochs (minutes):
#
#   DLC_KILL_ROUNDS=20 DLC_KILL_FULL=1 go test ./cmd/dlc -run TestKillAndResume -v -timeout 2h
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-3} every=${2:-100}
dlc=${DLC:-bin/dlc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # name, extra args...
	local name=$1; shift
	/usr/bin/time -f '%e %M' -o "$tmp/time" "$dlc" train --config configs/imdb-ngrams.yaml --out "$tmp/$name.dlc" "$@" 2>"$tmp/err" >/dev/null
	local train; train=$(sed -n 's/.*train \([0-9.]*\)s, total.*/\1/p' "$tmp/err")
	echo "$(cat "$tmp/time") $train"
}
printf '%-5s %9s %9s %9s %9s %9s %9s\n' pair wall_A wall_B ratio train_A train_B ratio
for i in $(seq "$pairs"); do
	read -r wa ma ta < <(run a)
	rm -rf "$tmp/ck"
	read -r wb mb tb < <(run b --checkpoint "$tmp/ck" --set checkpoint.every_updates="$every" --set checkpoint.every_epoch=false --set checkpoint.every_seconds=0)
	cmp -s "$tmp/a.dlc" "$tmp/b.dlc" || { echo "pair $i: the model written with checkpoints differs" >&2; exit 1; }
	printf '%-5s %9s %9s %9.3f %9s %9s %9.3f\n' "$i" "$wa" "$wb" "$(echo "$wb / $wa" | bc -l)" "$ta" "$tb" "$(echo "$tb / $ta" | bc -l)" | tee -a "$tmp/rows"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "median wall ratio $(awk '{print $4}' "$tmp/rows" | median), train ratio $(awk '{print $7}' "$tmp/rows" | median); checkpoints in the last run: $(ls "$tmp/ck" | wc -l) kept of $(( $(ls "$tmp/ck" | sed -n 's/ckpt-0*\([0-9]*\).dlcc/\1/p' | sort -n | tail -1) )) written"
