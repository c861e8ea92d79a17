#!/usr/bin/env bash
# Times each recipe's whole `dlc train` (read, vectorize, train, score the
# test split, write the model) against the linear classic it must beat,
# scikit-learn's LinearSVC on tf-idf uni+bigrams (../shared/peers/sk_linear.py,
# the protocol of ../shared/BENCHMARKS.md), alternating the two commands in
# one run on a shared machine; prints medians of wall time, CPU time
# (user + sys: steadier than wall time when other jobs share the cores) and
# peak RSS.
#
#   go build -o bin/dlc ./cmd/dlc
#   /usr/bin/python3 ../shared/peers/prepare.py --out /tmp/anchors-data   # the peers' TSV files
#   DLC_DATA=... bash bench/recipes/vs_peers.sh [RUNS]                     # default 3 runs each
#   RECIPES="imdb-nb-trigrams:imdb" DLC_DATA=... bash bench/recipes/vs_peers.sh 3   # some recipes only
#
# Needs /usr/bin/time (GNU) and Debian's python3-sklearn.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
dlc=${DLC:-bin/dlc}
peers=${PEERS:-../shared/peers}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure NAME CMD...: appends "wall_s rss_mib cpu_s" of one run to $tmp/NAME.
measure() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$tmp/one" "$@" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	awk '{printf "%s %.0f %.2f\n", $1, $2/1024, $3 + $4}' "$tmp/one" >>"$tmp/$name"
	grep -ho 'test accuracy [0-9.]*\|"accuracy": [0-9.]*' "$tmp/out" | head -1 >"$tmp/$name.acc" || true
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '%-20s %-34s %10s %10s %s\n' recipe peer "dlc s" "peer s" "dlc MiB / peer MiB, ratio of medians; CPU s"
for pair in ${RECIPES:-imdb-ngrams:imdb imdb-nb-trigrams:imdb reuters:r52 reuters8:r8}; do
	recipe=${pair%%:*} peer=${pair##*:}
	for _ in $(seq "$runs"); do
		measure "dlc-$recipe" "$dlc" train --quiet --config "configs/$recipe.yaml" --out "$tmp/m.dlc"
		measure "sk-$peer" /usr/bin/python3 "$peers/sk_linear.py" "$peer" svm 12
	done
	dw=$(cut -d' ' -f1 "$tmp/dlc-$recipe" | median) dm=$(cut -d' ' -f2 "$tmp/dlc-$recipe" | median)
	pw=$(cut -d' ' -f1 "$tmp/sk-$peer" | median) pm=$(cut -d' ' -f2 "$tmp/sk-$peer" | median)
	dc=$(cut -d' ' -f3 "$tmp/dlc-$recipe" | median) pc=$(cut -d' ' -f3 "$tmp/sk-$peer" | median)
	printf '%-20s %-34s %10s %10s %s / %s MiB, %.2fx faster; CPU %s / %s s, %.2fx\n' "$recipe" "LinearSVC 1+2-gram ($peer)" "$dw" "$pw" "$dm" "$pm" "$(echo "$pw / $dw" | bc -l)" "$dc" "$pc" "$(echo "$pc / $dc" | bc -l)"
	printf '%-20s %s; peer %s\n' "" "$(cat "$tmp/dlc-$recipe.acc")" "$(cat "$tmp/sk-$peer.acc")"
done
