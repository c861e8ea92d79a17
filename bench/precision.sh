#!/usr/bin/env bash
# model.precision: float64 against float32, whole `dlc train` processes
# alternating in one run (which goes first alternating too), on the MNIST
# notebook (where float32 pays) and the R52 recipe (sparse text with
# Adagrad, where it does not); prints medians of wall time, peak RSS and
# the test accuracy of each.
#
#   go build -o bin/dlc ./cmd/dlc
#   DLC_DATA=... bash bench/precision.sh [RUNS]   # default 3; DLC_DATA holds mnist and reuters
#
# Needs GNU /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
dlc=${DLC:-bin/dlc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$dlc" ] || { echo "bench/precision.sh: $dlc is missing; go build -o bin/dlc ./cmd/dlc" >&2; exit 1; }

# measure NAME CMD...: appends "wall_s rss_mib" to $tmp/NAME, the test
# accuracy to $tmp/NAME.acc.
measure() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$tmp/one" "$@" >"$tmp/out" 2>"$tmp/err" || { echo "bench/precision.sh: $* failed:" >&2; cat "$tmp/err" >&2; exit 1; }
	awk '{printf "%s %.0f\n", $1, $2/1024}' "$tmp/one" >>"$tmp/$name"
	sed -n 's/^test accuracy \([0-9.]*\),.*/\1/p' "$tmp/out" >"$tmp/$name.acc"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '%-22s %-8s %8s %8s %9s\n' config precision "wall s" "RSS MiB" accuracy
for config in mnist reuters; do
	for ((i = 1; i <= runs; i++)); do
		order="float64 float32"
		((i % 2)) || order="float32 float64"
		for p in $order; do
			measure "$config-$p" "$dlc" train --quiet --config "configs/$config.yaml" --set model.precision="$p" --out "$tmp/m.dlc"
		done
	done
	for p in float64 float32; do
		printf '%-22s %-8s %8s %8s %9s\n' "configs/$config.yaml" "$p" "$(cut -d' ' -f1 "$tmp/$config-$p" | median)" "$(cut -d' ' -f2 "$tmp/$config-$p" | median)" "$(cat "$tmp/$config-$p.acc")"
	done
done
