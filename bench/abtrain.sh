#!/usr/bin/env bash
# Two dlc builds on one training, paired and alternating: A B, then B A,
# and so on for PAIRS pairs, each a whole `dlc train ARGS --out` under
# nice -n 10 (NICE=env: not niced, for a quiet machine) and GNU /usr/bin/time; prints per run its wall, peak RSS,
# user and sys seconds and the 1-minute load average, per pair whether the
# two models are byte-identical (cmp), and at the end the per-pair ratios
# B/A of CPU (user + sys) and wall with their medians. For changes that
# must not change a bit (docs/recipes.md, "Cheaper first-layer training").
#
#   DLC_DATA=... bash bench/abtrain.sh /tmp/base/dlc bin/dlc 3 -c configs/reuters.yaml
set -euo pipefail
A=$1 B=$2 pairs=$3
shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for i in $(seq 1 "$pairs"); do
	order="A B"
	if [ $((i % 2)) = 0 ]; then order="B A"; fi
	for w in $order; do
		bin=$A
		if [ "$w" = B ]; then bin=$B; fi
		/usr/bin/time -o "$dir/t" -f '%e %M %U %S' ${NICE:-nice -n 10} "$bin" train "$@" --out "$dir/$w.dlc" >"$dir/$w.log" 2>&1
		echo "$i $w $(cat "$dir/t") $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$dir/runs"
	done
	if cmp -s "$dir/A.dlc" "$dir/B.dlc"; then echo "$i cmp-equal"; else echo "$i models differ"; fi
done
awk '{cpu[$1 $2] = $5 + $6; wall[$1 $2] = $3; n = $1}
	END { for (i = 1; i <= n; i++) printf "%.3f %.3f\n", cpu[i "B"] / cpu[i "A"], wall[i "B"] / wall[i "A"] }' "$dir/runs" >"$dir/ratios"
echo "per-pair B/A, CPU then wall:" $(cat "$dir/ratios")
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
echo "median B/A: CPU $(cut -d' ' -f1 "$dir/ratios" | median), wall $(cut -d' ' -f2 "$dir/ratios" | median)"
