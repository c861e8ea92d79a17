#!/usr/bin/env python3
"""Stratified k-fold splits of a fetched multi-label dataset's TRAINING split.

Usage: folds.py [DATASET] [--k 5] [--seed 0] [--data-dir $DLC_DATA] [--out DIR]

Writes DIR/DATASET/f0..f{k-1}/{train,val}.jsonl (default DATASET
reuters-modapte, DIR /tmp/dlc-folds). Each newswire is dealt to the folds
with the others of its rarest topic (the topic fewest training newswires
have), shuffled with random.Random(seed) and dealt round-robin, carried from
topic to topic so the folds' sizes differ by at most one. dlc draws its own
held-out examples from the same strata (rarestLabels in
internal/pipeline/multilabel.go) but starts each topic's deal at the first
part, so these folds are not dlc's. Every topic is spread over the folds in
proportion, and each training
newswire is validated exactly once, except the only newswire of a topic,
which stays in every fold's training half (a model cannot learn a topic it
never saw). Lines are copied byte for byte and keep their order. The test
split is never read. Standard library only.
"""
import argparse
import json
import os
import random
from collections import Counter, defaultdict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", nargs="?", default="reuters-modapte")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-dir", default=os.environ.get("DLC_DATA", ""))
    ap.add_argument("--out", default="/tmp/dlc-folds")
    ap.add_argument("--field", default="labels")
    a = ap.parse_args()
    if not a.data_dir:
        ap.error("set --data-dir or DLC_DATA")
    with open(os.path.join(a.data_dir, a.dataset, "train.jsonl"), "rb") as f:
        lines = [l if l.endswith(b"\n") else l + b"\n" for l in f if l.strip()]
    sets = [json.loads(l)[a.field] for l in lines]
    count = Counter(t for s in sets for t in s)
    by_rarest = defaultdict(list)
    for i, s in enumerate(sets):
        by_rarest[min(s, key=lambda t: (count[t], t)) if s else ""].append(i)
    rng = random.Random(a.seed)
    fold = [0] * len(lines)
    nxt = 0
    for key in sorted(by_rarest):
        idx = by_rarest[key]
        rng.shuffle(idx)
        if len(idx) == 1:
            fold[idx[0]] = -1
            continue
        for i in idx:
            fold[i] = nxt % a.k
            nxt += 1
    for k in range(a.k):
        d = os.path.join(a.out, a.dataset, "f%d" % k)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "train.jsonl"), "wb") as tr, open(os.path.join(d, "val.jsonl"), "wb") as va:
            for i, l in enumerate(lines):
                (va if fold[i] == k else tr).write(l)
        print(d, sum(1 for f in fold if f == k), "validation,", sum(1 for f in fold if f != k), "training")


if __name__ == "__main__":
    main()
