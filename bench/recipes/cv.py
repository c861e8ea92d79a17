#!/usr/bin/env python3
"""Cross-validate a dlc config on the folds folds.py wrote.

Usage: cv.py CONFIG FOLDS_DIR/DATASET [--folds 0,1,2,3,4] [--set key=value]...
             [--dlc bin/dlc] [--log results.jsonl] [--tag NAME] [--final]

For each fold, trains CONFIG on its train.jsonl with its val.jsonl as
data.validation (data.dataset, data.test and data.validation_split are
overridden, so the test split is never read) and reads the per-epoch
validation accuracy from --history. Prints the mean over the folds per
epoch, the epoch with the best mean, and the median time of a run; appends
one JSON line per config to --log. Runs are sequential: one training at a
time.

With --final the fold's val.jsonl is given as data.test instead, and the
score is that of the model train writes (its test accuracy on the fold):
what an ensemble (model.ensemble), whose per-epoch history is its first
network's, or a calibrated model is scored by. Prints the mean over the
folds and each fold's accuracy.
"""
import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import tempfile

from dlcrun import train


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("dir")
    ap.add_argument("--folds", default="0,1,2,3,4")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--dlc", default="dlc")
    ap.add_argument("--log", default="")
    ap.add_argument("--tag", default="")
    ap.add_argument("--final", action="store_true")
    a = ap.parse_args()
    if a.final:
        return final(a)
    folds = [int(f) for f in a.folds.split(",")]
    curves, losses, secs, rss = [], [], [], []
    tmp = tempfile.mkdtemp(prefix="dlc-cv-")
    for f in folds:
        d = os.path.join(a.dir, "f%d" % f)
        hist = os.path.join(tmp, "h%d.csv" % f)
        _, _, sec, mib = train(a.dlc, ["-q", "-c", a.config, "--out", os.path.join(tmp, "m.dlc"), "--history", hist],
                               ["data.dataset=", "data.test=", "data.validation_split=0",
                                "data.train=" + os.path.join(d, "train.jsonl"),
                                "data.validation=" + os.path.join(d, "val.jsonl")] + a.set, "fold %d" % f)
        secs.append(sec)
        rss.append(mib)
        with open(hist) as h:
            rows = list(csv.DictReader(h))
        curves.append([float(r["val_accuracy"]) for r in rows])
        losses.append([float(r["val_loss"]) for r in rows])
    n = min(len(c) for c in curves)
    mean = [statistics.mean(c[e] for c in curves) for e in range(n)]
    vloss = [statistics.mean(c[e] for c in losses) for e in range(n)]
    best = max(range(n), key=lambda e: (mean[e], -e))
    last = n - 1
    sd = statistics.pstdev(c[best] for c in curves)
    print("%s  %s" % (a.tag or a.config, " ".join(a.set)))
    print("  mean val_accuracy per epoch: " + " ".join("%.4f" % v for v in mean))
    print("  mean val_loss per epoch:     " + " ".join("%.4f" % v for v in vloss))
    print("  best epoch %d: %.4f (sd %.4f over %d folds); last epoch %d: %.4f; run %.1f s, %.0f MiB (medians)"
          % (best + 1, mean[best], sd, len(folds), last + 1, mean[last], statistics.median(secs), statistics.median(rss)))
    if a.log:
        with open(a.log, "a") as lg:
            lg.write(json.dumps(dict(tag=a.tag, config=a.config, sets=a.set, folds=folds, mean=mean, val_loss=vloss,
                                     best_epoch=best + 1, best=mean[best], sd=sd, last=mean[last],
                                     secs=statistics.median(secs), rss_mib=statistics.median(rss))) + "\n")


def final(a):
    folds = [int(f) for f in a.folds.split(",")]
    accs, eces, lls, secs, rss = [], [], [], [], []
    tmp = tempfile.mkdtemp(prefix="dlc-cv-")
    for f in folds:
        d = os.path.join(a.dir, "f%d" % f)
        out, _, sec, mib = train(a.dlc, ["-c", a.config, "--out", os.path.join(tmp, "m.dlc")],
                                 ["data.dataset=", "data.validation=", "data.validation_split=0",
                                  "data.train=" + os.path.join(d, "train.jsonl"),
                                  "data.test=" + os.path.join(d, "val.jsonl")] + a.set, "fold %d" % f)
        secs.append(sec)
        rss.append(mib)
        accs.append(float(re.search(r"test accuracy ([0-9.]+)", out).group(1)))
        # The probabilities' calibration on the fold, from the model's record.
        q = subprocess.run([a.dlc, "inspect", "--format", "json", os.path.join(tmp, "m.dlc")], capture_output=True, text=True)
        test = json.loads(q.stdout)["training"].get("test", {})
        eces.append(test.get("ece", float("nan")))
        lls.append(test.get("log_loss", float("nan")))
    mean = statistics.mean(accs)
    print("%s  %s" % (a.tag or a.config, " ".join(a.set)))
    print("  final accuracy mean %.4f over folds %s: %s; ECE %.4f, log loss %.4f (means); run %.1f s, %.0f MiB (medians)"
          % (mean, a.folds, " ".join("%.4f" % x for x in accs), statistics.mean(eces), statistics.mean(lls),
             statistics.median(secs), statistics.median(rss)))
    if a.log:
        with open(a.log, "a") as lg:
            lg.write(json.dumps(dict(tag=a.tag, config=a.config, sets=a.set, folds=folds, final=accs, mean=mean, ece=eces, log_loss=lls,
                                     secs=statistics.median(secs), rss_mib=statistics.median(rss))) + "\n")


if __name__ == "__main__":
    main()
