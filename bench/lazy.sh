#!/usr/bin/env bash
# Lazy updates: every update rule on the two big-vocabulary recipes
# (configs/imdb-ngrams.yaml, 437k features; configs/reuters.yaml, R52), each
# whole `dlc train` (read, vectorize, train, score the test split, write the
# model) timed against Adagrad's, the recipes' own rule, in the same run:
# the rules take turns, the order rotating from round to round, and each
# round's time is divided by that round's Adagrad time. Prints the medians
# of wall time, of that ratio and of peak RSS, and each rule's test
# accuracy. With --dense, each rule is then trained once more with
# optimizer.lazy: false (every weight at every step, slow: minutes for Adam
# on IMDB) and the two accuracies are printed side by side (not lazyadam,
# which has no dense form).
#
#   go build -o bin/dlc ./cmd/dlc
#   DLC_DATA=... [RULES="adagrad momentum"] [RECIPES=reuters] bash bench/lazy.sh [RUNS] [--dense]      # default 3 rounds
#
# DLC_DATA must hold the fetched imdb and reuters datasets; needs GNU
# /usr/bin/time. The learning rates are the recipes' for Adagrad and Keras'
# defaults (0.001) for RMSprop, Adam and lazyadam; momentum takes 0.03 (0.3 in plain
# SGD terms), which learns both recipes (0.01 leaves IMDB's network dead at
# 0.50, 0.05 diverges there).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 dense=0
for a in "$@"; do
	case $a in
	--dense) dense=1 ;;
	*) runs=$a ;;
	esac
done
dlc=${DLC:-bin/dlc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$dlc" ] || { echo "bench/lazy.sh: $dlc is missing; go build -o bin/dlc ./cmd/dlc" >&2; exit 1; }

# RULES="adagrad momentum" times only those (Adagrad, the yardstick, must
# be among them).
read -ra rules <<<"${RULES:-adagrad rmsprop momentum adam lazyadam}"
[[ " ${rules[*]} " == *" adagrad "* ]] || { echo "bench/lazy.sh: RULES must include adagrad, the yardstick" >&2; exit 1; }
# RECIPES="reuters" runs only that recipe (one of imdb-ngrams, reuters).
read -ra recipes <<<"${RECIPES:-imdb-ngrams reuters}"
for r in "${recipes[@]}"; do
	[ -f "configs/$r.yaml" ] || { echo "bench/lazy.sh: RECIPES names $r, which has no configs/$r.yaml" >&2; exit 1; }
done
declare -A rate=([adagrad]=0.03 [rmsprop]=0.001 [momentum]=0.03 [adam]=0.001 [lazyadam]=0.001)

# train NAME RECIPE RULE [SET...]: one whole run; appends "wall_s rss_mib"
# to $tmp/NAME and keeps its test accuracy in $tmp/NAME.acc.
train() {
	local name=$1 recipe=$2 rule=$3
	shift 3
	local args=(train --quiet --config "configs/$recipe.yaml" --set "optimizer.name=$rule" --set "optimizer.learning_rate=${rate[$rule]}" --out "$tmp/m.dlc")
	for s in "$@"; do args+=(--set "$s"); done
	/usr/bin/time -f '%e %M' -o "$tmp/one" "$dlc" "${args[@]}" >"$tmp/out" 2>"$tmp/err" || { echo "bench/lazy.sh: dlc ${args[*]} failed:" >&2; cat "$tmp/err" >&2; exit 1; }
	awk '{printf "%s %.0f\n", $1, $2/1024}' "$tmp/one" >>"$tmp/$name"
	grep -o 'test accuracy [0-9.]*' "$tmp/out" | grep -o '[0-9.]*$' >"$tmp/$name.acc"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for recipe in "${recipes[@]}"; do
	for ((i = 0; i < runs; i++)); do
		for ((j = 0; j < ${#rules[@]}; j++)); do
			rule=${rules[$(((i + j) % ${#rules[@]}))]}
			train "$recipe-$rule" "$recipe" "$rule"
		done
		# This round's ratio of each rule's wall time to Adagrad's.
		a=$(tail -1 "$tmp/$recipe-adagrad" | cut -d' ' -f1)
		for rule in "${rules[@]}"; do
			echo "$(tail -1 "$tmp/$recipe-$rule" | cut -d' ' -f1) / $a" | bc -l >>"$tmp/$recipe-$rule.ratio"
		done
	done
	printf '%s (%d rounds; lr: adagrad %s, rmsprop %s, momentum %s, adam and lazyadam %s)\n' "configs/$recipe.yaml" "$runs" "${rate[adagrad]}" "${rate[rmsprop]}" "${rate[momentum]}" "${rate[adam]}"
	printf '  %-9s %8s %14s %8s %10s\n' rule "wall s" "/ adagrad's" MiB accuracy
	for rule in "${rules[@]}"; do
		printf '  %-9s %8s %14.3f %8s %10s\n' "$rule" "$(cut -d' ' -f1 "$tmp/$recipe-$rule" | median)" \
			"$(median <"$tmp/$recipe-$rule.ratio")" "$(cut -d' ' -f2 "$tmp/$recipe-$rule" | median)" "$(cat "$tmp/$recipe-$rule.acc")"
	done
	if ((dense)); then
		printf '  dense rules (optimizer.lazy: false), one run each:\n'
		printf '  %-9s %8s %10s %10s\n' rule "wall s" "acc dense" "acc lazy"
		for rule in "${rules[@]}"; do
			[ "$rule" = lazyadam ] && continue # no dense form: it is lazy adam's other rule
			train "$recipe-$rule-dense" "$recipe" "$rule" optimizer.lazy=false
			printf '  %-9s %8s %10s %10s\n' "$rule" "$(cut -d' ' -f1 "$tmp/$recipe-$rule-dense")" "$(cat "$tmp/$recipe-$rule-dense.acc")" "$(cat "$tmp/$recipe-$rule.acc")"
		done
	fi
done
