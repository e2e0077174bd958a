"""Tagging speed: documents per second for `tagger tag` against scikit-learn and fastText.

    python benchmarks/tag_speed.py [--repeat 5] [--runs 3]

Builds the reference corpus repeated --repeat times (about 20,000 articles, 88 MB) in a
temporary directory (never in the repo), then in one run, --runs times each:
  (a) `tagger tag` as a user runs it (a subprocess: reading, tagging, writing JSONL),
  (b) a plain scikit-learn Pipeline (TfidfVectorizer + OneVsRest logistic regression with
      the shipped model's settings) calling predict_proba on the texts held in memory,
  (c) fastText (pip install fasttext-numpy2) trained on the same labels, predicting all
      labels with model.predict on the texts held in memory.
(b) and (c) get their texts for free; (a) pays for reading and writing files. Prints the
median documents per second of each and the ratios of (a) to the others.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "ukraine-2022.jsonl"
LABELS = REPO / "labels" / "reference-train.csv"
MODEL = REPO / "models" / "ukraine-war"


def load():
    import csv

    docs = [json.loads(line) for line in CORPUS.open(encoding="utf-8")]
    with LABELS.open(encoding="utf-8") as fh:
        labels = {r["id"]: [t for t in r["tags"].split(";") if t] for r in csv.DictReader(fh)}
    return docs, labels


def content(d):
    return f"{d['title']}\n{d['text']}" if d.get("title") else d["text"]


def bench_tagger(data: Path, out: Path, jobs: int | None) -> float:
    exe = Path(sys.executable).parent / "tagger"
    cmd = [str(exe), "tag", str(data), "--out", str(out), "--quiet", "--model", str(MODEL)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if out.exists():
        out.unlink()
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None, help="--jobs for tagger tag")
    args = ap.parse_args()

    from sklearn.preprocessing import MultiLabelBinarizer

    from tagger import load_model
    from tagger.model.train import make_pipeline

    docs, labels = load()
    model = load_model(MODEL)
    big = [dict(d, id=f"{d['id']}-{r}") for r in range(args.repeat) for d in docs]
    texts = [content(d) for d in big]
    n = len(texts)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"{n} documents, {mb:.0f} MB of text; {os.cpu_count()} cores; {args.runs} runs each")

    train_docs = [d for d in docs if d["id"] in labels]
    train_texts = [content(d) for d in train_docs]
    Y = MultiLabelBinarizer(classes=model.tags).fit_transform([labels[d["id"]] for d in train_docs])
    pipe = make_pipeline(model.settings).fit(train_texts, Y)

    import fasttext

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "corpus-x.jsonl"
        with data.open("w", encoding="utf-8") as fh:
            for d in big:
                fh.write(json.dumps({"id": d["id"], "title": d["title"], "text": d["text"]}) + "\n")
        ft_train = tmp / "ft-train.txt"
        with ft_train.open("w", encoding="utf-8") as fh:
            for d in train_docs:
                tags = " ".join(f"__label__{t}" for t in labels[d["id"]]) or "__label__none"
                fh.write(f"{tags} {' '.join(content(d).lower().split())}\n")
        ft = fasttext.train_supervised(str(ft_train), loss="ova", wordNgrams=2, epoch=25,
                                       dim=100, thread=1, seed=0, verbose=0)
        ft_texts = [" ".join(t.lower().split()) for t in texts]  # fastText wants one line each

        results = {"tagger tag": [], "sklearn predict_proba": [], "fastText predict": []}
        for _ in range(args.runs):
            results["tagger tag"].append(n / bench_tagger(data, tmp / "out.jsonl", args.jobs))
            t = time.perf_counter()
            pipe.predict_proba(texts)
            results["sklearn predict_proba"].append(n / (time.perf_counter() - t))
            t = time.perf_counter()
            ft.predict(ft_texts, k=-1, threshold=0.5)
            results["fastText predict"].append(n / (time.perf_counter() - t))
        lines = sum(1 for _ in (tmp / "out.jsonl").open())
        assert lines == n, f"tagger tag wrote {lines} records for {n} documents"

    med = {k: statistics.median(v) for k, v in results.items()}
    for k, v in results.items():
        print(f"{k:24s} median {med[k]:8,.0f} docs/s   runs: {', '.join(f'{x:,.0f}' for x in v)}")
    a = med["tagger tag"]
    print(f"tagger tag / sklearn predict_proba = {a / med['sklearn predict_proba']:.2f}x")
    print(f"tagger tag / fastText predict      = {a / med['fastText predict']:.2f}x  (target >= 2x)")


if __name__ == "__main__":
    main()
