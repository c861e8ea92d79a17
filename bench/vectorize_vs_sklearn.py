#!/usr/bin/python3
"""dlc vectorize against scikit-learn's TfidfVectorizer, on IMDB.

Times, alternating, whole processes (start-up and reading included, as in
../shared/BENCHMARKS.md):

  sklearn  TfidfVectorizer().fit on the 25,000 training reviews of
           $DLC_DATA/imdb/train.jsonl (it also prints its fit-only time)
  dlc      dlc vectorize --config CONFIG --out DIR: reads the 25,000 + 25,000
           reviews, fits, encodes both splits, writes vocabulary.tsv,
           labels.tsv, train.svm and test.svm

and reports medians, peak RSS and the ratio dlc / sklearn (the goal: at most
1/3). Then it checks the export: scikit-learn's load_svmlight_file reads
train.svm and test.svm with 25,000 rows each and exactly the non-zeros dlc
reports for its own rows (total, and mean/median/max per text).

With --bigrams it compares uni+bigram tf-idf with min_df=2 instead (the
configuration of BENCHMARKS.md's best linear classic): scikit-learn's
fit_transform of the training reviews and transform of the test reviews
against dlc vectorize with the same settings.

Needs python3-sklearn (apt-get install python3-sklearn) and a fetched IMDB
(dlc fetch imdb). Usage, from the project root:

  go build -o bin/dlc ./cmd/dlc
  DLC_DATA=/tmp/data /usr/bin/python3 bench/vectorize_vs_sklearn.py --dlc bin/dlc
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

SKLEARN_FIT = r"""
import json, sys, time
t0 = time.perf_counter()
texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
t1 = time.perf_counter()
from sklearn.feature_extraction.text import TfidfVectorizer
v = TfidfVectorizer().fit(texts)
t2 = time.perf_counter()
print(json.dumps({"texts": len(texts), "features": len(v.vocabulary_), "read_s": t1 - t0, "fit_s": t2 - t1}))
"""


SKLEARN_BIGRAMS = r"""
import json, sys, time
t0 = time.perf_counter()
train = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
test = [json.loads(line)["text"] for line in open(sys.argv[2], encoding="utf-8")]
t1 = time.perf_counter()
from sklearn.feature_extraction.text import TfidfVectorizer
v = TfidfVectorizer(ngram_range=(1, 2), min_df=2)
x = v.fit_transform(train)
y = v.transform(test)
t2 = time.perf_counter()
print(json.dumps({"texts": len(train), "features": len(v.vocabulary_), "read_s": t1 - t0, "fit_s": t2 - t1}))
"""

# dlc's settings for the bigram comparison: scikit-learn's TfidfVectorizer
# with ngram_range=(1, 2), min_df=2 and no max_features.
DLC_BIGRAMS = ["--set", "vectorizer.mode=tf_idf", "--set", "vectorizer.ngrams=2",
               "--set", "vectorizer.min_df=2", "--set", "vectorizer.max_tokens=100000000"]


def timed(cmd):
    """Runs cmd; returns (wall seconds, peak RSS MiB, stdout)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{err.read().decode()}")
        return wall, usage.ru_maxrss / 1024, out.read().decode()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dlc", default="bin/dlc", help="the dlc binary (default bin/dlc)")
    ap.add_argument("--config", default="configs/imdb.yaml")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--python", default="/usr/bin/python3", help="a python3 with scikit-learn")
    ap.add_argument("--bigrams", action="store_true",
                    help="compare uni+bigram tf-idf with min_df=2 instead: scikit-learn fit_transform(train) + "
                         "transform(test) against dlc vectorize with the same settings")
    args = ap.parse_args()

    data = os.environ.get("DLC_DATA")
    if not data:
        sys.exit("set DLC_DATA to the folder where dlc fetch imdb put imdb/")
    train = os.path.join(data, "imdb", "train.jsonl")
    if not os.path.exists(train):
        sys.exit(f"{train} is missing; run dlc fetch imdb first")
    try:
        from sklearn.datasets import load_svmlight_file
    except ImportError:
        sys.exit("scikit-learn is missing: apt-get install python3-sklearn, and run this with /usr/bin/python3")

    out = tempfile.mkdtemp(prefix="dlc-vectorize-bench-")
    dlc_cmd = [args.dlc, "vectorize", "--config", args.config, "--out", out, "--quiet", "--format", "json"]
    sk_cmd = [args.python, "-c", SKLEARN_FIT, train]
    what = "TfidfVectorizer().fit"
    if args.bigrams:
        dlc_cmd += DLC_BIGRAMS
        sk_cmd = [args.python, "-c", SKLEARN_BIGRAMS, train, os.path.join(data, "imdb", "test.jsonl")]
        what = "TfidfVectorizer(ngram_range=(1, 2), min_df=2).fit_transform(train) + transform(test)"
    rows = {"sklearn": [], "dlc": []}
    for run in range(args.runs):
        for name, cmd in (("sklearn", sk_cmd), ("dlc", dlc_cmd)):
            wall, rss, stdout = timed(cmd)
            rows[name].append((wall, rss, json.loads(stdout)))
            print(f"run {run + 1} {name:8s} {wall:6.2f} s  {rss:5.0f} MiB", file=sys.stderr)

    sk_wall = statistics.median(r[0] for r in rows["sklearn"])
    sk_fit = statistics.median(r[2]["fit_s"] for r in rows["sklearn"])
    dlc_wall = statistics.median(r[0] for r in rows["dlc"])
    summary = rows["dlc"][-1][2]
    print(f"scikit-learn {what}, {rows['sklearn'][0][2]['texts']} training reviews, "
          f"{rows['sklearn'][0][2]['features']} features: median {sk_wall:.2f} s whole process "
          f"(fit alone {sk_fit:.2f} s), {statistics.median(r[1] for r in rows['sklearn']):.0f} MiB")
    print(f"dlc vectorize --config {args.config} --out DIR{' (uni+bigram tf-idf, min_df 2)' if args.bigrams else ''}, "
          f"{summary['splits']['train']['texts']} + {summary['splits']['test']['texts']} reviews, "
          f"{summary['features']} features: median {dlc_wall:.2f} s, "
          f"{statistics.median(r[1] for r in rows['dlc']):.0f} MiB")
    print(f"ratio dlc / sklearn: {dlc_wall / sk_wall:.3f} of the whole sklearn process, "
          f"{dlc_wall / sk_fit:.3f} of its fit alone{'' if args.bigrams else ' (goal: at most 0.333)'}")

    # The export reads back in scikit-learn with dlc's own non-zeros.
    failed = False
    for split in ("train", "test"):
        want = summary["splits"][split]
        x, y = load_svmlight_file(want["file"], n_features=summary["features"])
        per_row = x.getnnz(axis=1)
        got = (x.shape[0], x.nnz, per_row.mean(), statistics.median(per_row.tolist()), per_row.max())
        expect = (want["texts"], want["nnz"], want["nnz_per_text_mean"], want["nnz_per_text_median"], want["nnz_per_text_max"])
        ok = got[:2] == expect[:2] and abs(got[2] - expect[2]) < 1e-9 and got[3] == expect[3] and got[4] == expect[4]
        failed |= not ok
        print(f"load_svmlight_file({split}.svm): {got[0]} rows, {got[1]} non-zeros, per text mean {got[2]:.2f} "
              f"median {got[3]:g} max {got[4]}; dlc: {expect[0]} rows, {expect[1]} non-zeros: "
              f"{'same' if ok else 'DIFFERENT'}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
