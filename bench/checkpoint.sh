#!/usr/bin/env bash
# What checkpoints cost: the IMDB recipe (configs/imdb-ngrams.yaml: 437k
# features × 32 units, Adagrad, 4,456 updates with the calibration
# network's; a checkpoint is 224 MB, while calibrating too: the model's
# finished network is written once, into its own file) trained as a whole `dlc train` without
# checkpoints (A) and with one at most every N updates (B, default 100,
# nothing by epoch or time; one due while the last is still being written
# is put off, so the last line says how many were written; WAIT=1 sets
# checkpoint.wait_for_write, exactly every N), in pairs whose order
# alternates (A B, B A, A B, ...),
# each pair's ratio B/A of wall time, of CPU time (user + sys) and of train
# seconds (the "train" of dlc's last progress line: training and
# calibrating, without reading and vectorizing), the checkpoints B wrote
# and the load average when the pair ended. Prints every pair and the
# medians. Every B run's model is compared with A's, byte for byte.
#
#   go build -o bin/dlc ./cmd/dlc
#   DLC_DATA=... bash bench/checkpoint.sh [PAIRS] [N]       # default 3 pairs, N = 100
#
# N = default runs B with the config's own cadence (checkpoint.* at their
# defaults: every 300 s, keep 3) instead.
#
# DLC (default bin/dlc) is the binary run; DLC_A, when set, the one A
# runs instead: a change to how checkpoints are written leaves A's runs as
# they were, so DLC_A=the build before and DLC=this one measures this
# build's checkpoints against no checkpoints, and checks that this build
# writes the same model as the build before.
#
# Then the kill test at full length: 20 SIGKILLs per config, the R52
# recipe its whole 15 epochs (minutes):
#
#   DLC_KILL_ROUNDS=20 DLC_KILL_FULL=1 go test ./cmd/dlc -run TestKillAndResume -v -timeout 2h
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-3} every=${2:-100}
dlc=${DLC:-bin/dlc}
dlca=${DLC_A:-$dlc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # name, binary, extra args...
	local name=$1 bin=$2; shift 2
	/usr/bin/time -f '%e %M %U %S' -o "$tmp/time" "$bin" train --config configs/imdb-ngrams.yaml --out "$tmp/$name.dlc" "$@" 2>"$tmp/err" >/dev/null
	local train; train=$(sed -n 's/.*train \([0-9.]*\)s, total.*/\1/p' "$tmp/err")
	read -r wall rss user sys <"$tmp/time"
	echo "$wall $(echo "$user + $sys" | bc -l) $train"
}
cadence=(--set checkpoint.every_updates="$every" --set checkpoint.every_epoch=false --set checkpoint.every_seconds=0 --set checkpoint.wait_for_write="$([ "${WAIT:-0}" = 1 ] && echo true || echo false)")
[ "$every" = default ] && cadence=()
runa() { run a "$dlca"; }
runb() { rm -rf "$tmp/ck"; run b "$dlc" --checkpoint "$tmp/ck" "${cadence[@]}"; }
# written: the newest checkpoint's number (they are numbered from 1).
written() { ls "$tmp/ck" | sed -n 's/ckpt-0*\([0-9]*\).dlcc/\1/p' | sort -n | tail -1; }
printf '%-5s %8s %8s %7s %8s %8s %7s %8s %8s %7s %7s %6s\n' pair wall_A wall_B ratio cpu_A cpu_B ratio train_A train_B ratio written load
for i in $(seq "$pairs"); do
	if (( i % 2 )); then
		read -r wa ca ta < <(runa)
		read -r wb cb tb < <(runb)
		n=$(written)
	else
		read -r wb cb tb < <(runb)
		n=$(written)
		read -r wa ca ta < <(runa)
	fi
	cmp -s "$tmp/a.dlc" "$tmp/b.dlc" || { echo "pair $i: the model written with checkpoints differs" >&2; exit 1; }
	r() { echo "$1 / $2" | bc -l; }
	printf '%-5s %8s %8s %7.3f %8.2f %8.2f %7.3f %8s %8s %7.3f %7s %6s\n' "$i" "$wa" "$wb" "$(r "$wb" "$wa")" "$ca" "$cb" "$(r "$cb" "$ca")" "$ta" "$tb" "$(r "$tb" "$ta")" "$n" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$tmp/rows"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "median ratios: wall $(awk '{print $4}' "$tmp/rows" | median), cpu $(awk '{print $7}' "$tmp/rows" | median), train $(awk '{print $10}' "$tmp/rows" | median); load average $(cut -d' ' -f1-3 /proc/loadavg); checkpoints written by B: median $(awk '{print $11}' "$tmp/rows" | median)$([[ $every =~ ^[0-9]+$ ]] && echo " of the $(( 4456 / every )) falling due")"
