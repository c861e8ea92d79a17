#!/usr/bin/python3
"""scikit-learn's one-vs-rest LinearSVC on the folds folds.py wrote: the peer's
cross-validation numbers beside cv.py's for a dlc config, on the same folds.

Usage: /usr/bin/python3 bench/multilabel/sk_cv.py FOLDS_DIR/DATASET [--folds 0,1,2,3,4]

The protocol of bench/multilabel/sk_ovr.py (TfidfVectorizer(sublinear_tf=True),
OneVsRestClassifier(LinearSVC()), the decision function's 0) trained on each
fold's train.jsonl (text: whitespace collapsed, as sk_ovr.py's) and scored on
its val.jsonl, over the topics of the training half. Macro-F1 averages the
topics in the truth or the answers, as dlc's does: a topic no validation
newswire has and no answer gives is left out (scikit-learn's f1_score would
count it as 0; on the test split every one of the 90 topics occurs, and the
two agree).
"""
import argparse
import json
import os
import statistics

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC


def read(path):
    with open(path) as f:
        rows = [json.loads(l) for l in f if l.strip()]
    return [" ".join(r["text"].split()) for r in rows], [r["labels"] for r in rows]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--folds", default="0,1,2,3,4")
    a = ap.parse_args()
    scores = []
    for f in a.folds.split(","):
        d = os.path.join(a.dir, "f" + f)
        xtr, ltr = read(os.path.join(d, "train.jsonl"))
        xva, lva = read(os.path.join(d, "val.jsonl"))
        cats = sorted({c for s in ltr for c in s})
        mlb = MultiLabelBinarizer(classes=cats)
        ytr = mlb.fit_transform(ltr)
        yva = mlb.transform([[c for c in s if c in cats] for s in lva])
        v = TfidfVectorizer(sublinear_tf=True)
        p = OneVsRestClassifier(LinearSVC()).fit(v.fit_transform(xtr), ytr).predict(v.transform(xva))
        present = np.flatnonzero(yva.sum(0) + p.sum(0))
        s = (f1_score(yva, p, average="micro"),
             f1_score(yva, p, average="macro", labels=present, zero_division=0),
             float((p == yva).all(1).mean()))
        scores.append(s)
        print("fold %s: micro-F1 %.4f macro-F1 %.4f subset %.4f" % (f, *s), flush=True)
    mean = [statistics.mean(c) for c in zip(*scores)]
    sd = [statistics.stdev(c) if len(c) > 1 else 0 for c in zip(*scores)]
    print("LinearSVC mean micro-F1 %.4f (%.4f) macro-F1 %.4f (%.4f) subset %.4f (%.4f)" %
          (mean[0], sd[0], mean[1], sd[1], mean[2], sd[2]))


if __name__ == "__main__":
    main()
