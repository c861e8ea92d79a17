#!/usr/bin/env python3
"""Cross-validate ensembles of unlike members without a line of Go: each
member is trained on a fold's training half, answers the fold's held-out
half, and the members' answers are averaged here.

Usage: mixcv.py FOLDS_DIR/DATASET --member NAME=CONFIG [--member NAME=svc:CONFIG]...
                [--set NAME:key=value]... [--mix A+B[+C...]]... [--folds 0,1,2,3,4]
                [--dlc bin/dlc] [--cache /tmp/mixcv] [--log results.jsonl]

A member NAME=CONFIG is `dlc train -c CONFIG` with the member's --set
overrides (calibration.method=none unless a --set says otherwise) on the
fold's train.jsonl; data.dataset, data.test, data.validation and
data.validation_split are cleared, so nothing is scored during training and
the test split is never read. `dlc predict --format json` then answers the
fold's val.jsonl. A member NAME=svc:CONFIG is scikit-learn's LinearSVC
(C from --set NAME:C=3, default 1) on the features `dlc vectorize` fits on
the fold's training half, answering with its decision_function (it needs
numpy and scikit-learn: run the script with Debian's /usr/bin/python3 and
python3-sklearn).

A mix A+B averages its members' answers per held-out example, two ways:
"raw", the mean of the network outputs (for hinge members, margin scores
on the same scale; LinearSVC's one-vs-rest scores too), and "prob", the
mean of the calibrated probabilities, printed only when every member was
trained calibrated. Each member and each mix is printed with its accuracy
per fold, the mean and the standard deviation over the folds, and for a
mix the per-fold difference from its first member (the folds are the same,
so the paired difference is much less noisy than either mean), and how
often its members disagree.

Answers are cached per member and fold under --cache, keyed by the member's
spec, the config file's bytes and the dlc binary's bytes: a later run with
more mixes, or more folds, trains only what it has not seen. Members train
one at a time. Times are of the whole `dlc train` (an svc member's: `dlc
vectorize` and the fit), wall and CPU (user + sys, from /usr/bin/time),
medians over the folds.
"""
import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile

from dlcrun import run


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--member", action="append", default=[], help="NAME=CONFIG or NAME=svc:CONFIG")
    ap.add_argument("--set", action="append", default=[], help="NAME:key=value")
    ap.add_argument("--mix", action="append", default=[], help="A+B[+C...]")
    ap.add_argument("--folds", default="0,1,2,3,4")
    ap.add_argument("--dlc", default="dlc")
    ap.add_argument("--cache", default="/tmp/mixcv")
    ap.add_argument("--log", default="")
    a = ap.parse_args()
    members = {}
    for m in a.member:
        name, sep, spec = m.partition("=")
        if not sep or not name or not spec:
            ap.error("--member %r: want NAME=CONFIG" % m)
        kind, config = ("svc", spec[4:]) if spec.startswith("svc:") else ("dlc", spec)
        members[name] = dict(name=name, kind=kind, config=config, sets=[])
    for s in a.set:
        name, sep, kv = s.partition(":")
        if not sep or name not in members:
            ap.error("--set %r: want NAME:key=value for a --member NAME" % s)
        members[name]["sets"].append(kv)
    for mx in a.mix:
        for n in mx.split("+"):
            if n not in members:
                ap.error("--mix %r: no --member %r" % (mx, n))
    return a, members


def file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dlc_path(dlc):
    """The dlc binary's path, found on PATH if given by name."""
    if os.sep in dlc:
        return dlc
    for d in os.environ.get("PATH", "").split(os.pathsep):
        p = os.path.join(d, dlc)
        if os.access(p, os.X_OK):
            return p
    sys.exit("no %s on PATH" % dlc)


def member_key(m, folds_dir, dlc_digest):
    """What a member's cached answers depend on: its spec, its config's bytes, the folds and dlc itself."""
    spec = dict(kind=m["kind"], sets=m["sets"], config=file_digest(m["config"]),
                folds=os.path.abspath(folds_dir), dlc=dlc_digest)
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def read_labels(path):
    with open(path) as f:
        return [json.loads(l)["label"] for l in f if l.strip()]


def fold_sets(d, test=""):
    """The overrides that put fold d's training half in place of the config's data (and test, when given)."""
    return ["data.dataset=", "data.test=" + test, "data.validation=", "data.validation_split=0",
            "data.train=" + os.path.join(d, "train.jsonl")]


def answer_dlc(a, m, d, tmp):
    """Trains a dlc member on fold d's training half and answers its held-out half."""
    model = os.path.join(tmp, "m.dlc")
    cmd = [a.dlc, "train", "-q", "-c", m["config"], "--out", model]
    for s in fold_sets(d) + ["calibration.method=none"] + m["sets"]:
        cmd += ["--set", s]
    _, _, wall, cpu, rss = run(cmd, "%s on %s" % (m["name"], d))
    out, _, _, _, _ = run([a.dlc, "predict", "-m", model, "--input", os.path.join(d, "val.jsonl"), "--format", "json"],
                       "predict of %s on %s" % (m["name"], d))
    rows = [json.loads(l) for l in out.splitlines()]
    labels = sorted(rows[0]["scores"])
    calibrated = "raw_scores" in rows[0]
    raw = [[r["raw_scores" if calibrated else "scores"][l] for l in labels] for r in rows]
    prob = [[r["scores"][l] for l in labels] for r in rows] if calibrated else None
    return dict(labels=labels, raw=raw, prob=prob, wall=wall, cpu=cpu, rss=rss)


def answer_svc(a, m, d, tmp):
    """Fits LinearSVC on dlc's features of fold d's training half and answers its held-out half."""
    from sklearn.datasets import load_svmlight_files  # only svc members need scikit-learn
    from sklearn.svm import LinearSVC
    import time
    C, sets = 1.0, []
    for s in m["sets"]:
        if s.startswith("C="):
            C = float(s[2:])
        else:
            sets.append(s)
    out = os.path.join(tmp, "svm")
    cmd = [a.dlc, "vectorize", "-q", "-c", m["config"], "--out", out]
    for s in fold_sets(d, os.path.join(d, "val.jsonl")) + sets:
        cmd += ["--set", s]
    _, _, wall, cpu, rss = run(cmd, "vectorize of %s on %s" % (m["name"], d))
    with open(os.path.join(out, "labels.tsv")) as f:
        index = {}
        for line in f:
            i, _, label = line.rstrip("\n").partition("\t")
            if i.isdigit():
                index[int(i)] = label
    with open(os.path.join(out, "vocabulary.tsv")) as f:
        nf = sum(1 for _ in f) - 1
    xtr, ytr, xva, _ = load_svmlight_files([os.path.join(out, "train.svm"), os.path.join(out, "test.svm")],
                                           n_features=nf + 1)
    t0, c0 = time.time(), time.process_time()
    svc = LinearSVC(C=C).fit(xtr, ytr)
    wall, cpu = wall + time.time() - t0, cpu + time.process_time() - c0
    dec = svc.decision_function(xva)
    by_label = {index[int(c)]: j for j, c in enumerate(svc.classes_)}
    labels = sorted(index.values())
    # A label with no training example in the fold gets no column: it can never win.
    raw = [[float(row[by_label[l]]) if l in by_label else -1e9 for l in labels] for row in dec]
    return dict(labels=labels, raw=raw, prob=None, wall=wall, cpu=cpu, rss=rss)


def answers(a, m, f, dlc_digest):
    """One member's answers on fold f, from the cache or trained now."""
    d = os.path.join(a.dir, "f%d" % f)
    path = os.path.join(a.cache, member_key(m, a.dir, dlc_digest), "f%d.json" % f)
    if os.path.exists(path):
        with open(path) as c:
            return json.load(c)
    with tempfile.TemporaryDirectory(prefix="mixcv-") as tmp:
        ans = (answer_svc if m["kind"] == "svc" else answer_dlc)(a, m, d, tmp)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as c:
        json.dump(ans, c)
    os.replace(path + ".tmp", path)
    print("  trained %s on fold %d: %.1f s wall, %.1f s CPU" % (m["name"], f, ans["wall"], ans["cpu"]), flush=True)
    return ans


def decide(vectors):
    return [max(range(len(v)), key=v.__getitem__) for v in vectors]


def mean_of(answer_list, key):
    n = len(answer_list)
    return [[sum(col) / n for col in zip(*rows)] for rows in zip(*(x[key] for x in answer_list))]


def accuracy(pred, gold):
    return sum(p == g for p, g in zip(pred, gold)) / len(gold)


def summary(accs):
    sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
    return "%.4f (sd %.4f) per fold %s" % (statistics.mean(accs), sd, " ".join("%.4f" % x for x in accs))


def main():
    a, members = parse_args()
    a.dlc = dlc_path(a.dlc)
    dlc_digest = file_digest(a.dlc)
    folds = [int(f) for f in a.folds.split(",")]
    got = {n: {} for n in members}
    for f in folds:
        for n, m in members.items():
            got[n][f] = answers(a, m, f, dlc_digest)
    gold = {}
    for f in folds:
        labels = got[next(iter(members))][f]["labels"]
        idx = {l: i for i, l in enumerate(labels)}
        for n in members:
            if got[n][f]["labels"] != labels:
                sys.exit("%s answers fold %d with other labels than %s" % (n, f, next(iter(members))))
        gold[f] = [idx[l] for l in read_labels(os.path.join(a.dir, "f%d" % f, "val.jsonl"))]
    log = []
    print("folds %s of %s" % (a.folds, a.dir))
    single = {}
    for n, m in members.items():
        accs = [accuracy(decide(got[n][f]["raw"]), gold[f]) for f in folds]
        single[n] = accs
        wall = statistics.median(got[n][f]["wall"] for f in folds)
        cpu = statistics.median(got[n][f]["cpu"] for f in folds)
        print("%-10s %s  [%s %s]  %s; %.1f s wall, %.1f s CPU a run (medians)"
              % (n, summary(accs), m["kind"], m["config"], " ".join(m["sets"]), wall, cpu))
        log.append(dict(member=n, kind=m["kind"], config=m["config"], sets=m["sets"], folds=folds, accs=accs,
                        wall=wall, cpu=cpu))
    for mx in a.mix:
        names = mx.split("+")
        for key in ("raw", "prob"):
            if key == "prob" and any(got[n][f]["prob"] is None for n in names for f in folds):
                continue
            accs, disagree = [], []
            for f in folds:
                pred = decide(mean_of([got[n][f] for n in names], key))
                accs.append(accuracy(pred, gold[f]))
                firsts = [decide(got[n][f]["raw"]) for n in names]
                disagree.append(sum(len(set(p)) > 1 for p in zip(*firsts)) / len(gold[f]))
            diff = [x - y for x, y in zip(accs, single[names[0]])]
            sd = statistics.stdev(diff) if len(diff) > 1 else 0.0
            print("%-10s %s  %s; minus %s: %+.4f (sd %.4f); members disagree on %.1f %%"
                  % (mx, summary(accs), key, names[0], statistics.mean(diff), sd, 100 * statistics.mean(disagree)))
            log.append(dict(mix=mx, how=key, folds=folds, accs=accs, diff_first=diff, disagree=disagree))
    if a.log:
        with open(a.log, "a") as lg:
            for r in log:
                lg.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
