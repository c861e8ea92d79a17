#!/usr/bin/env bash
# dlc tune against fastText's autotune, on the same data with the same time
# budget, in one run: for each of IMDB, R52 (reuters) and R8 (reuters8),
#
#   dlc tune --config DATA_ONLY.yaml --budget B --train   (a config that
#       names only data.dataset; k-fold cross-validation on the training
#       split, then the winner trained on all of it), then dlc evaluate of
#       the model on the test split;
#   fasttext supervised -autotune-validation VALID -autotune-duration B
#       -thread 2 on the same training split, shuffled with Python's
#       random.Random(42) (fastText reads its input in order; the IMDB file
#       is sorted by label) and cut into its first 90 % (TRAIN) and last
#       10 % (VALID), tokenized as ../shared/peers/common.py does (lower
#       case, <br /> removed, [a-z0-9']+); then fasttext test on the test
#       split: P@1 is the accuracy.
#
# Prints, per dataset, each tool's test accuracy, whole-process wall time
# and peak RSS, and dlc tune's winner (its CV accuracy, its recipe).
#
#   go build -o bin/dlc ./cmd/dlc
#   DLC_DATA=... bash bench/tune_vs_fasttext.sh [SECONDS] [DATASET...]   # default 300 s; imdb reuters reuters8
#
# KEEP=DIR keeps each search's JSON lines (DATASET.jsonl: every trial's
# CV curve) and winner (DATASET-best.yaml) in DIR.
#
# DLC_DATA must hold the fetched datasets. fastText is Debian's fasttext
# package, installed with apt-get when missing; needs GNU /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-300}
shift || true
sets=("$@")
[ ${#sets[@]} -gt 0 ] || sets=(imdb reuters reuters8)
dlc=${DLC:-bin/dlc}
[ -x "$dlc" ] || { echo "bench/tune_vs_fasttext.sh: $dlc is missing; go build -o bin/dlc ./cmd/dlc" >&2; exit 1; }
: "${DLC_DATA:?set DLC_DATA to the folder of the fetched datasets}"
if ! command -v fasttext >/dev/null; then
	echo "bench/tune_vs_fasttext.sh: installing Debian's fasttext" >&2
	apt-get install -y fasttext >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fasttext_files DATASET: writes $tmp/DATASET/{train,valid,test}.txt.
fasttext_files() {
	mkdir -p "$tmp/$1"
	/usr/bin/python3 - "$DLC_DATA/$1" "$tmp/$1" <<'EOF'
import json, random, re, sys
src, out = sys.argv[1], sys.argv[2]
token = re.compile(r"[a-z0-9']+")
def lines(split):
    rows = []
    with open(f"{src}/{split}.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            text = " ".join(token.findall(r["text"].lower().replace("<br />", " ")))
            rows.append("__label__%s %s\n" % (str(r["label"]).replace(" ", "_"), text))
    return rows
train = lines("train")
random.Random(42).shuffle(train)
cut = len(train) - len(train) // 10
for name, rows in (("train", train[:cut]), ("valid", train[cut:]), ("test", lines("test"))):
    with open(f"{out}/{name}.txt", "w", encoding="utf-8") as f:
        f.writelines(rows)
EOF
}

# measure CMD...: runs CMD, its output in $tmp/out, "wall_s rss_mib" in $tmp/time.
measure() {
	/usr/bin/time -f '%e %M' -o "$tmp/one" "$@" >"$tmp/out" 2>"$tmp/err" || { echo "bench/tune_vs_fasttext.sh: $* failed:" >&2; tail -5 "$tmp/err" >&2; exit 1; }
	awk '{printf "%s %.0f\n", $1, $2/1024}' "$tmp/one" >"$tmp/time"
}

printf '%-9s %-22s %9s %8s %8s  %s\n' dataset tool "test acc" "wall s" MiB notes
for d in "${sets[@]}"; do
	printf 'data:\n  dataset: %s\n' "$d" >"$tmp/$d.yaml"
	measure "$dlc" tune --quiet --config "$tmp/$d.yaml" --budget "${budget}s" --out "$tmp/$d-best.yaml" --train --model "$tmp/$d.dlc" --format json
	read -r wall rss <"$tmp/time"
	if [ -n "${KEEP:-}" ]; then
		mkdir -p "$KEEP"
		cp "$tmp/out" "$KEEP/$d.jsonl"
		cp "$tmp/$d-best.yaml" "$KEEP/$d-best.yaml"
	fi
	winner=$(grep '"event":"wrote"' "$tmp/out")
	summary=$(grep '"event":"result"' "$tmp/out" | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin); b=r["best"]; w=[t for t in r["trials"] if t["trial"]==b["trial"]][0]; print("cv %.4f ± %.4f at %d epochs (trial %d of %d: %s); %s" % (b["cv_mean"], b["cv_std"], b["epochs"], b["trial"], len(r["trials"]), w["recipe"], r["summary"]))')
	"$dlc" evaluate --model "$tmp/$d.dlc" --config "$tmp/$d-best.yaml" --format json >"$tmp/eval.json"
	acc=$(/usr/bin/python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["accuracy"])' "$tmp/eval.json")
	printf '%-9s %-22s %9s %8s %8s  %s\n' "$d" "dlc tune ${budget}s" "$acc" "$wall" "$rss" "$summary"
	[ -n "$winner" ]

	fasttext_files "$d"
	measure fasttext supervised -input "$tmp/$d/train.txt" -output "$tmp/$d-ft" -autotune-validation "$tmp/$d/valid.txt" -autotune-duration "$budget" -thread 2 -verbose 0
	read -r wall rss <"$tmp/time"
	fasttext test "$tmp/$d-ft.bin" "$tmp/$d/test.txt" >"$tmp/ft-test"
	acc=$(awk '/^P@1/ {printf "%.4f", $2}' "$tmp/ft-test")
	args=$(fasttext dump "$tmp/$d-ft.bin" args 2>/dev/null | awk '$1 ~ /^(lr|epoch|wordNgrams|dim|minCount|bucket|loss|dsub)$/ {printf "%s %s ", $1, $2}')
	printf '%-9s %-22s %9s %8s %8s  %s\n' "$d" "fastText autotune ${budget}s" "$acc" "$wall" "$rss" "$args"
done
