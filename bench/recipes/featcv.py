#!/usr/bin/python3
"""Compare dlc vectorizer settings by a fast linear probe: for each fold,
`dlc vectorize` fits the config's vectorizer on the fold's train.jsonl and
exports both halves as svmlight, and scikit-learn's LinearSVC(C) is fitted
on them and scored on the fold's val.jsonl. The features that serve a
linear SVM well are the first candidates for the MLP (a few seconds per
setting instead of minutes of training).

Usage: /usr/bin/python3 featcv.py CONFIG FOLDS_DIR/DATASET [--set key=value]... [--C 1] [--dlc bin/dlc]
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.datasets import load_svmlight_files
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("dir")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--dlc", default="dlc")
    a = ap.parse_args()
    accs, f1s, feats = [], [], []
    tmp = tempfile.mkdtemp(prefix="dlc-featcv-")
    for d in sorted(glob.glob(os.path.join(a.dir, "f*"))):
        cmd = [a.dlc, "vectorize", "-q", "-c", a.config, "--set", "data.dataset=", "--set", "data.validation_split=0",
               "--set", "data.train=" + os.path.join(d, "train.jsonl"),
               "--set", "data.test=" + os.path.join(d, "val.jsonl"), "--out", tmp]
        for s in a.set:
            cmd += ["--set", s]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(p.stderr)
        nf = sum(1 for _ in open(os.path.join(tmp, "vocabulary.tsv"))) - 1
        xtr, ytr, xva, yva = load_svmlight_files([os.path.join(tmp, "train.svm"), os.path.join(tmp, "test.svm")],
                                                 n_features=max(nf, 1) + 1 if nf > 0 else None)
        pred = LinearSVC(C=a.C).fit(xtr, ytr).predict(xva)
        accs.append(float(np.mean(pred == yva)))
        f1s.append(f1_score(yva, pred, average="macro"))
        feats.append(xtr.shape[1])
    print("%-70s acc %.4f (sd %.4f) macro-F1 %.4f features %d; per fold %s" % (
        " ".join(a.set + (["C=%g" % a.C] if a.C != 1 else [])) or "(config)", np.mean(accs), np.std(accs), np.mean(f1s),
        int(np.median(feats)), " ".join("%.4f" % x for x in accs)))


if __name__ == "__main__":
    main()
