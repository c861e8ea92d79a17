#!/usr/bin/env bash
# Where a notebook's time goes, and the whole processes against the peers,
# in one run:
#
#   1. breakdown  one run of `dlc train` and one of `dlc evaluate` under
#                 --cpuprofile, split by bench/cpusplit into read, tokenize,
#                 count, encode, train, calibrate, score, load, write, gc
#                 and other (CPU seconds; the stages overlap in time, so a
#                 profile splits them where timers cannot), beside the wall
#                 phases dlc train prints and the phases the PyTorch
#                 reference prints (read, vectorize, train, eval)
#   2. whole      the notebook as a user runs it (dlc train then dlc
#                 evaluate, one shell), the PyTorch reference
#                 (../shared/peers/torch_mlp.py) and, for IMDB, fastText's
#                 default training (`fasttext supervised -thread 2`, the
#                 protocol of ../shared/BENCHMARKS.md: training alone,
#                 its accuracy tested after the timed runs), in rounds that
#                 alternate the commands and rotate which goes first;
#                 medians of wall, CPU (user+sys) and peak RSS (the
#                 largest single process), the accuracy each printed, and
#                 the peers' medians over dlc's
#
#   bash bench/breakdown.sh [imdb|mnist|all] [RUNS]    # default: all 5
#
# Needs ../shared/datasets (or DLC_DATA holding imdb and mnist), GNU
# /usr/bin/time, and for the peers /usr/bin/python3 with PyTorch and
# fastText, which it installs from Debian's packages when they are missing
# (python3-torch, about 235 packages with its dependencies; fasttext); their TSV
# files are written by ../shared/peers/prepare.py and ft_prepare.py on the
# first run. Works in $BENCH_DIR (default /tmp/dlc-bench-breakdown); DLC
# names a dlc binary to measure instead of building this tree's, and
# DLC_BEFORE a second one (the previous build) timed in the same rounds. The
# machine is shared: only figures of one run, and their ratios, compare.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
what=${1:-all}
runs=${2:-5}
dir=${BENCH_DIR:-/tmp/dlc-bench-breakdown}
peers=$root/../shared/peers
export ANCHORS_DATA=${ANCHORS_DATA:-/tmp/anchors-data}
case $what in imdb | mnist | all) ;; *)
	echo "bench/breakdown.sh: the first argument is imdb, mnist or all, not $what" >&2
	exit 2
	;;
esac
[ -x /usr/bin/time ] || { echo "bench/breakdown.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
# install_peer PACKAGE...: Debian's packages, for the peers.
install_peer() {
	echo "bench/breakdown.sh: installing Debian's $*" >&2
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } >&2
}
/usr/bin/python3 -c 'import torch' 2>/dev/null || install_peer python3-torch
command -v fasttext >/dev/null || install_peer fasttext
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "bench/breakdown.sh: /usr/bin/python3 cannot import torch after installing python3-torch; install PyTorch for it by hand" >&2; exit 1; }
command -v fasttext >/dev/null || { echo "bench/breakdown.sh: fasttext is missing after installing it; install it by hand" >&2; exit 1; }
mkdir -p "$dir"
if [ -z "${DLC:-}" ]; then
	go build -o "$dir/dlc" ./cmd/dlc
	DLC=$dir/dlc
fi
go build -o "$dir/cpusplit" ./bench/cpusplit
if [ -z "${DLC_DATA:-}" ]; then
	export DLC_DATA=$dir/data
	for d in imdb mnist; do
		[ -f "$DLC_DATA/$d/dataset.json" ] || "$DLC" fetch "$d" --from "$root/../shared/datasets" >&2
	done
fi
if [ ! -f "$ANCHORS_DATA/imdb/ft_train.txt" ]; then
	/usr/bin/python3 "$peers/prepare.py" --out "$ANCHORS_DATA" imdb >&2
	/usr/bin/python3 "$peers/ft_prepare.py" imdb >&2
fi

# timed NAME CMD...: runs CMD once, appending "wall cpu rss_mib" to
# $dir/NAME.runs and keeping its output in $dir/NAME.out.
timed() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$dir/$name.time" "$@" >"$dir/$name.out" 2>&1 || {
		echo "bench/breakdown.sh: $* failed:" >&2
		tail -5 "$dir/$name.out" >&2
		exit 1
	}
	awk '{printf "%s %.2f %.0f\n", $1, $2 + $3, $4 / 1024}' "$dir/$name.time" >>"$dir/$name.runs"
}
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
col() { cut -d' ' -f"$2" "$dir/$1.runs" | median; }
accuracy() { grep -ho 'test accuracy [0-9.]*\|"accuracy": [0-9.]*\|^P@1[[:space:]]*[0-9.]*' "$dir/$1.out" | grep -o '[0-9.]*$' | head -1; }

# breakdown NAME CONFIG: stage 1 for one notebook.
breakdown() {
	local name=$1 config=$2
	"$DLC" train --config "$config" --out "$dir/$name.dlc" --cpuprofile "$dir/$name-train.pprof" >"$dir/$name-prof-train.out" 2>&1
	"$DLC" evaluate --model "$dir/$name.dlc" --cpuprofile "$dir/$name-eval.pprof" >"$dir/$name-prof-eval.out" 2>&1
	echo "== $name: CPU seconds by stage (one profiled run; --cpuprofile, bench/cpusplit)"
	for p in train eval; do
		go tool pprof -traces "$DLC" "$dir/$name-$p.pprof" 2>/dev/null | "$dir/cpusplit" -tsv >"$dir/$name-$p.split"
	done
	join -t $'\t' "$dir/$name-train.split" "$dir/$name-eval.split" | awk -F'\t' '
		BEGIN {printf "%-10s %8s %8s %8s %6s\n", "stage", "train", "evaluate", "both", "share"}
		{s[NR] = $1; a[NR] = $2; b[NR] = $3; t += $2 + $3}
		END {for (i = 1; i <= NR; i++) printf "%-10s %8.2f %8.2f %8.2f %5.1f%%\n", s[i], a[i], b[i], a[i] + b[i], 100 * (a[i] + b[i]) / t
			printf "%-10s %8s %8s %8.2f\n", "total", "", "", t}'
	echo "dlc train's wall phases: $(grep -h '^read .*total' "$dir/$name-prof-train.out" || echo none)"
}

# whole NAME: stage 2 for one notebook, the commands in $cmds.
whole() {
	local name=$1 n=${#cmds[@]}
	rm -f "$dir/$name".*.runs
	for ((i = 0; i < runs; i++)); do
		for ((j = 0; j < n; j++)); do
			local k=$(((i + j) % n))
			timed "$name.${labels[k]}" bash -c "${cmds[k]}"
		done
	done
	echo "== $name: whole processes, medians of $runs (alternating, first command rotating)"
	printf '%-30s %8s %8s %8s %9s %9s %9s\n' command "wall s" "cpu s" "MiB" accuracy "wall/dlc" "cpu/dlc"
	local dw dc
	dw=$(col "$name.${labels[0]}" 1) dc=$(col "$name.${labels[0]}" 2)
	for ((k = 0; k < n; k++)); do
		local w c m
		w=$(col "$name.${labels[k]}" 1) c=$(col "$name.${labels[k]}" 2) m=$(col "$name.${labels[k]}" 3)
		printf '%-30s %8.2f %8.2f %8.0f %9s %8.1fx %8.1fx\n' "${labels[k]}" "$w" "$c" "$m" "$(accuracy "$name.${labels[k]}")" \
			"$(echo "$w / $dw" | bc -l)" "$(echo "$c / $dc" | bc -l)"
	done
	grep -ho 'RESULT .*' "$dir/$name.torch.out" | tail -1 | /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.stdin.read()[7:])
print("PyTorch phases (its last run, s):", ", ".join("%s %s" % (k, r[k]) for k in ("import_s", "read_s", "vectorize_s", "train_s", "eval_s") if k in r))'
}

if [ "$what" != mnist ]; then
	breakdown imdb configs/imdb.yaml
	labels=(dlc torch fasttext)
	cmds=(
		"'$DLC' train --quiet --config configs/imdb.yaml --out '$dir/imdb-w.dlc' && '$DLC' evaluate --model '$dir/imdb-w.dlc' --format json"
		"/usr/bin/python3 '$peers/torch_mlp.py' imdb"
		"fasttext supervised -input '$ANCHORS_DATA/imdb/ft_train.txt' -output '$dir/ft' -thread 2 -verbose 0"
	)
	if [ -n "${DLC_BEFORE:-}" ]; then
		labels+=(dlc-before)
		cmds+=("'$DLC_BEFORE' train --quiet --config configs/imdb.yaml --out '$dir/imdb-b.dlc' && '$DLC_BEFORE' evaluate --model '$dir/imdb-b.dlc' --format json")
	fi
	whole imdb
	# fastText's accuracy, of the model its last run left (2 threads are
	# not bit-reproducible), tested outside the timed runs.
	echo "fastText's last model: $(fasttext test "$dir/ft.bin" "$ANCHORS_DATA/imdb/ft_test.txt" | grep '^P@1')"
fi
if [ "$what" != imdb ]; then
	breakdown mnist configs/mnist.yaml
	labels=(dlc torch)
	cmds=(
		"'$DLC' train --quiet --config configs/mnist.yaml --out '$dir/mnist-w.dlc' && '$DLC' evaluate --model '$dir/mnist-w.dlc' --format json"
		"/usr/bin/python3 '$peers/torch_mlp.py' mnist"
	)
	if [ -n "${DLC_BEFORE:-}" ]; then
		labels+=(dlc-before)
		cmds+=("'$DLC_BEFORE' train --quiet --config configs/mnist.yaml --out '$dir/mnist-b.dlc' && '$DLC_BEFORE' evaluate --model '$dir/mnist-b.dlc' --format json")
	fi
	whole mnist
fi
