#!/usr/bin/python3
"""The linear classic on the same folds: scikit-learn's LinearSVC(C=1) on
TfidfVectorizer features (BENCHMARKS.md's protocol), fitted on each fold's
train.jsonl and scored on its val.jsonl, so that dlc's cross-validated
scores have a bar measured on the same examples.

Usage: /usr/bin/python3 sklearn_cv.py FOLDS_DIR/DATASET [--ngram 1|12] [--C 1]
"""
import argparse
import glob
import json
import os

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC


def read(path):
    t, y = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            t.append(o["text"])
            y.append(o["label"])
    return t, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--ngram", default="12")
    ap.add_argument("--C", type=float, default=1.0)
    a = ap.parse_args()
    accs, f1s = [], []
    for d in sorted(glob.glob(os.path.join(a.dir, "f*"))):
        ttr, ytr = read(os.path.join(d, "train.jsonl"))
        tva, yva = read(os.path.join(d, "val.jsonl"))
        vec = TfidfVectorizer() if a.ngram == "1" else TfidfVectorizer(ngram_range=(1, 2), min_df=2)
        clf = LinearSVC(C=a.C).fit(vec.fit_transform(ttr), ytr)
        p = clf.predict(vec.transform(tva))
        accs.append(float(np.mean(np.array(p) == np.array(yva))))
        f1s.append(f1_score(yva, p, average="macro"))
        print("%s acc %.4f macro-F1 %.4f" % (d, accs[-1], f1s[-1]))
    print("mean acc %.4f (sd %.4f) macro-F1 %.4f" % (np.mean(accs), np.std(accs), np.mean(f1s)))


if __name__ == "__main__":
    main()
