#!/usr/bin/env bash
# Chooses calibration's default by cross-validation on the TRAINING splits
# only: each recipe is trained on 80 % of its training split and its
# calibrated probabilities scored (ECE, log loss) on the other 20 %, for
# each way of holding examples out (a tenth, a fifth, 5 folds) and each
# decision-keeping method (one temperature, the monotone map; auto picks
# between them by the number of labels). The test splits are never read.
#
#   DLC_DATA=/tmp/dlcdata bash bench/calibration/choose.sh [bin/dlc]
set -euo pipefail
cd "$(dirname "$0")/../.."
dlc=${1:-bin/dlc}
[ -x "$dlc" ] || go build -o "$dlc" ./cmd/dlc
data=${DLC_DATA:?set DLC_DATA to the folder dlc fetch filled}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
split() { # split DATASET: 80/20 of its train.jsonl, by a seeded shuffle
  python3 - "$data/$1/train.jsonl" "$work/$1" <<'PY'
import random, sys, os
lines = open(sys.argv[1], encoding="utf-8", newline="").read().rstrip("\n").split("\n")
random.Random(7).shuffle(lines)
cut = len(lines) * 4 // 5
os.makedirs(sys.argv[2], exist_ok=True)
open(sys.argv[2] + "/fit.jsonl", "w", encoding="utf-8").write("\n".join(lines[:cut]) + "\n")
open(sys.argv[2] + "/held.jsonl", "w", encoding="utf-8").write("\n".join(lines[cut:]) + "\n")
PY
}
printf 'config\tscheme\tece\tlog_loss\taccuracy\tseconds\n'
for pair in imdb:imdb imdb:imdb-ngrams reuters:reuters reuters:reuters-notebook reuters8:reuters8; do
  ds=${pair%%:*}; cfg=${pair##*:}
  [ -d "$work/$ds" ] || split "$ds"
  for scheme in "calibration.holdout=0.2" "calibration.holdout=0.1" "calibration.folds=5" "calibration.method=none" \
    "calibration.method=temperature" "calibration.method=monotone"; do
    start=$(date +%s.%N)
    "$dlc" train -c "configs/$cfg.yaml" --set data.dataset= --set "data.train=$work/$ds/fit.jsonl" \
      --set "data.test=$work/$ds/held.jsonl" --set "$scheme" --out "$work/m.dlc" --quiet >/dev/null
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    "$dlc" evaluate -m "$work/m.dlc" --format json | python3 -c "import json,sys; e=json.load(sys.stdin); print('\t'.join(['$cfg','$scheme','%.4f'%e['ece'],'%.4f'%e['log_loss'],'%.4f'%e['accuracy'],'%.1f'%$secs]))"
  done
done
