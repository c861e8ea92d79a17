#!/usr/bin/env python3
"""Score a recipe on its test split with several seeds: the final
measurement, once the config is chosen (never to choose it).

Usage: seeds.py CONFIG [--seeds 42,1,2,3,4,5] [--set key=value]... [--dlc bin/dlc]

Trains CONFIG once per seed (training.seed), one training at a time, and
prints each seed's test accuracy, macro-F1 and expected calibration error
(from `dlc evaluate --format json` of the model), then the mean and sample
standard deviation of the accuracies, and the median wall time and peak RSS
of a whole `dlc train`.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

from dlcrun import train


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--seeds", default="42,1,2,3,4,5")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--dlc", default="dlc")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="dlc-seeds-")
    model = os.path.join(tmp, "m.dlc")
    accs, secs, rss = [], [], []
    print("%s  %s" % (a.config, " ".join(a.set)))
    for seed in [int(s) for s in a.seeds.split(",")]:
        _, _, sec, mib = train(a.dlc, ["--quiet", "-c", a.config, "--out", model],
                               ["training.seed=%d" % seed] + a.set, "seed %d" % seed)
        secs.append(sec)
        rss.append(mib)
        q = subprocess.run([a.dlc, "evaluate", "--model", model, "--format", "json"], capture_output=True, text=True)
        if q.returncode != 0:
            sys.exit("evaluate of seed %d failed: %s" % (seed, q.stderr.strip()))
        ev = json.loads(q.stdout)
        accs.append(ev["accuracy"])
        print("  seed %-3d accuracy %.4f  macro-F1 %.4f  ECE %.4f  %.1f s  %.0f MiB"
              % (seed, ev["accuracy"], ev["macro_f1"], ev.get("ece", float("nan")), secs[-1], rss[-1]), flush=True)
    sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
    print("  mean %.4f (sd %.4f), min %.4f, max %.4f over %d seeds; train %.1f s, %.0f MiB (medians)"
          % (statistics.mean(accs), sd, min(accs), max(accs), len(accs), statistics.median(secs), statistics.median(rss)))


if __name__ == "__main__":
    main()
