#!/usr/bin/env bash
# configs/reuters-modapte.yaml against scikit-learn's one-vs-rest LinearSVC
# on tf-idf words (the protocol of ../shared/peers/sk_multilabel.py, words
# only: bench/multilabel/sk_ovr.py), in the same run: each whole process —
# dlc train (read, vectorize, train the model and its calibration network,
# score the 3,019 test newswires, write the model) against the peer's
# (read the archive, vectorize, fit, predict the test split) — timed by
# /usr/bin/time -v, the two alternating; prints the medians of wall time and
# peak RSS and both models' test scores.
#
#   go build -o bin/dlc ./cmd/dlc
#   bin/dlc fetch reuters-modapte --from ../shared/datasets/reuters21578.tar.gz --sha256 HEX
#   DLC_DATA=... bash bench/multilabel/vs_peer.sh [RUNS]      # default 3 runs each
#
# Needs GNU time at /usr/bin/time and Debian's python3-sklearn.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
dlc=${DLC:-bin/dlc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure NAME CMD...: appends "wall_s rss_mib" of one run to $tmp/NAME and
# keeps its stdout in $tmp/NAME.out.
measure() {
	local name=$1
	shift
	/usr/bin/time -v -o "$tmp/time" "$@" >"$tmp/$name.out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; w = s}
		/Maximum resident set size/ {m = $2 / 1024} END {printf "%.2f %.0f\n", w, m}' "$tmp/time" >>"$tmp/$name"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for _ in $(seq "$runs"); do
	measure dlc "$dlc" train --quiet --config configs/reuters-modapte.yaml --out "$tmp/m.dlc"
	measure sk /usr/bin/python3 bench/multilabel/sk_ovr.py
done
dw=$(cut -d' ' -f1 "$tmp/dlc" | median) dm=$(cut -d' ' -f2 "$tmp/dlc" | median)
pw=$(cut -d' ' -f1 "$tmp/sk" | median) pm=$(cut -d' ' -f2 "$tmp/sk" | median)
echo "runs: $runs each, alternating; medians of whole processes"
echo "dlc   $(grep '^test micro-F1' "$tmp/dlc.out"); ${dw} s, ${dm} MiB"
echo "peer  $(grep '^RESULT' "$tmp/sk.out" | sed 's/^RESULT //'); ${pw} s, ${pm} MiB"
echo "all dlc runs (s MiB): $(tr '\n' ' ' <"$tmp/dlc")"
echo "all peer runs (s MiB): $(tr '\n' ' ' <"$tmp/sk")"
# The words line of the shared peer, which sk_ovr.py must equal.
# (grep reads the whole output: head -1 would cut the peer off mid-run.)
/usr/bin/python3 ../shared/peers/sk_multilabel.py | grep '"ngrams": \[1, 1\]' | sed 's/^RESULT /shared peer, words: /'
