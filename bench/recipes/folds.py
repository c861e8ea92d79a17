#!/usr/bin/env python3
"""Stratified k-fold splits of a fetched dataset's TRAINING split.

Usage: folds.py DATASET [--k 5] [--seed 0] [--data-dir $DLC_DATA] [--out DIR]

Writes DIR/DATASET/f0..f{k-1}/{train,val}.jsonl (default DIR: /tmp/dlc-folds):
every class's examples are shuffled with random.Random(seed) and dealt
round-robin to the folds, so each fold holds every class in proportion, and
each training example is validated exactly once, except the only example of
a class, which stays in every fold's training half. Lines are copied byte for
byte and keep their order. The test split is never read. Standard library
only, so the folds are the same on any machine.
"""
import argparse
import json
import os
import random
from collections import defaultdict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-dir", default=os.environ.get("DLC_DATA", ""))
    ap.add_argument("--out", default="/tmp/dlc-folds")
    a = ap.parse_args()
    if not a.data_dir:
        ap.error("set --data-dir or DLC_DATA")
    with open(os.path.join(a.data_dir, a.dataset, "train.jsonl"), "rb") as f:
        lines = [l if l.endswith(b"\n") else l + b"\n" for l in f if l.strip()]
    by_label = defaultdict(list)
    for i, l in enumerate(lines):
        by_label[json.loads(l)["label"]].append(i)
    rng = random.Random(a.seed)
    fold = [0] * len(lines)
    nxt = 0  # carry the round-robin across classes so small classes spread out
    for label in sorted(by_label):
        idx = by_label[label]
        rng.shuffle(idx)
        if len(idx) == 1:
            fold[idx[0]] = -1  # a class seen once stays in training: a model cannot score a label it never saw
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
        print("%s: %d train, %d val" % (d, sum(1 for f in fold if f != k), sum(1 for f in fold if f == k)))


if __name__ == "__main__":
    main()
