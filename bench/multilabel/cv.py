#!/usr/bin/env python3
"""Cross-validate a multi-label dlc config on the folds folds.py wrote.

Usage: cv.py CONFIG FOLDS_DIR/DATASET [--folds 0,1,2,3,4] [--set key=value]...
             [--dlc bin/dlc] [--log results.jsonl] [--tag NAME]

For each fold, trains CONFIG on its train.jsonl (its calibration and
thresholds fitted on that half alone) and scores the model on its val.jsonl,
given as data.test (data.dataset is overridden, so the real test split is
never read): micro-F1, macro-F1, subset accuracy. Prints each fold and the
mean (sd) over the folds, and the median time of a run; appends one JSON
line per config to --log. Runs are sequential: one training at a time.
"""
import argparse
import json
import os
import re
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "recipes"))
from dlcrun import train  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("dir")
    ap.add_argument("--folds", default="0,1,2,3,4")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--dlc", default="dlc")
    ap.add_argument("--log", default="")
    ap.add_argument("--tag", default="")
    a = ap.parse_args()
    folds = [int(f) for f in a.folds.split(",")]
    scores, secs = [], []
    tmp = tempfile.mkdtemp(prefix="dlc-cv-")
    pat = re.compile(r"test micro-F1 ([0-9.]+), macro-F1 ([0-9.]+), subset accuracy ([0-9.]+)")
    for f in folds:
        d = os.path.join(a.dir, "f%d" % f)
        out, err, sec, _ = train(a.dlc, ["-c", a.config, "--out", os.path.join(tmp, "m.dlc")],
                                 ["data.dataset=", "data.train=" + os.path.join(d, "train.jsonl"),
                                  "data.test=" + os.path.join(d, "val.jsonl")] + a.set, "fold %d" % f)
        secs.append(sec)
        m = pat.search(out)
        if not m:
            sys.exit("fold %d printed no test micro-F1: %s" % (f, out.strip()))
        s = [float(x) for x in m.groups()]
        scores.append(s)
        th = re.search(r"thresholds: .*", err)
        print("fold %d: micro-F1 %.4f macro-F1 %.4f subset %.4f  %.1fs  %s" % (f, *s, secs[-1], th.group(0) if th else ""), flush=True)
    mean = [statistics.mean(c) for c in zip(*scores)]
    sd = [statistics.stdev(c) if len(c) > 1 else 0 for c in zip(*scores)]
    print("%s mean micro-F1 %.4f (%.4f) macro-F1 %.4f (%.4f) subset %.4f (%.4f); %.1fs a run" %
          (a.tag or "config", mean[0], sd[0], mean[1], sd[1], mean[2], sd[2], statistics.median(secs)))
    if a.log:
        with open(a.log, "a") as out:
            out.write(json.dumps({"tag": a.tag, "config": a.config, "set": a.set, "folds": folds,
                                  "micro_f1": mean[0], "macro_f1": mean[1], "subset_accuracy": mean[2],
                                  "sd": sd, "per_fold": scores, "seconds": statistics.median(secs)}) + "\n")


if __name__ == "__main__":
    main()
