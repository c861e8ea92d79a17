#!/usr/bin/python3
"""Reuters-21578 ModApte, 90 topics: scikit-learn's one-vs-rest LinearSVC on tf-idf words.

The protocol of ../shared/peers/sk_multilabel.py (same split rule, text,
TfidfVectorizer(sublinear_tf=True), OneVsRestClassifier(LinearSVC()), the
decision function's 0 as threshold) for its first setting only (words), so
that a whole process times one model as `dlc train` does, and with the
Hamming loss added. Its micro/macro-F1 and subset accuracy equal the
peer's "words" line (bench/multilabel/vs_peer.sh checks).

Usage: /usr/bin/python3 bench/multilabel/sk_ovr.py [ARCHIVE]
"""
import html, json, os, re, sys, tarfile, time
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score, hamming_loss
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

here = os.path.dirname(os.path.abspath(__file__))
arc = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "shared", "datasets", "reuters21578.tar.gz")
docs = []
with tarfile.open(arc) as t:
    for m in t.getmembers():
        if not m.name.endswith(".sgm"):
            continue
        raw = t.extractfile(m).read().decode("latin-1")
        for d in re.findall(r"<REUTERS(.*?)</REUTERS>", raw, re.S):
            head = d[: d.index(">")]
            split = re.search(r'LEWISSPLIT="([\w-]+)"', head).group(1)
            if re.search(r'TOPICS="([\w-]+)"', head).group(1) != "YES" or split not in ("TRAIN", "TEST"):
                continue
            topics = re.findall(r"<D>(.*?)</D>", re.search(r"<TOPICS>(.*?)</TOPICS>", d, re.S).group(1))
            parts = [re.search(r"<%s>(.*?)</%s>" % (k, k), d, re.S) for k in ("TITLE", "BODY")]
            text = " ".join(p.group(1) for p in parts if p)
            docs.append((split, topics, " ".join(html.unescape(re.sub(r"&#\d+;", " ", text)).split())))
cats = sorted({c for s, ts, _ in docs if s == "TRAIN" for c in ts} & {c for s, ts, _ in docs if s == "TEST" for c in ts})
sets = {"TRAIN": [], "TEST": []}
for s, ts, x in docs:
    ts = [c for c in ts if c in cats]
    if ts:
        sets[s].append((x, ts))
mlb = MultiLabelBinarizer(classes=cats)
ytr = mlb.fit_transform([t for _, t in sets["TRAIN"]])
yte = mlb.transform([t for _, t in sets["TEST"]])
t0 = time.time()
v = TfidfVectorizer(sublinear_tf=True)
xtr = v.fit_transform([x for x, _ in sets["TRAIN"]])
p = OneVsRestClassifier(LinearSVC()).fit(xtr, ytr).predict(v.transform([x for x, _ in sets["TEST"]]))
print("RESULT " + json.dumps({
    "dataset": "reuters-modapte", "model": "ovr-linearsvc", "ngrams": [1, 1], "labels": len(cats),
    "train": len(sets["TRAIN"]), "test": len(sets["TEST"]),
    "micro_f1": round(f1_score(yte, p, average="micro"), 4),
    "macro_f1": round(f1_score(yte, p, average="macro", zero_division=0), 4),
    "subset_accuracy": round(float((p == yte).all(1).mean()), 4),
    "hamming_loss": round(hamming_loss(yte, p), 4), "seconds": round(time.time() - t0, 2)}))
