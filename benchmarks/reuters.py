"""Reuters-21578 (ModApte, R90): train and score through the tagger command line.

    python benchmarks/reuters.py [--jobs 2] [--quick] [--json PATH] [extra tagger train options...]

Trains with `tagger train` on ../shared/benchmarks/reuters21578/train.jsonl (labels from
its `tags` field), scores test.jsonl with `tagger evaluate --json`, and prints micro- and
macro-F1 beside the published results on this split. The model goes to a temporary
directory. Default training options: vocabulary and IDF from the labelled training set
(there are no unlabelled documents), C and word n-grams searched by `tagger train`'s
5-fold cross-validation. --quick: the first 400 training and 200 test documents, no
search (C 30, unigrams, thresholds from 2 folds).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

DATA = common.SHARED / "benchmarks" / "reuters21578"
PUBLISHED = [("linear SVM (Yang & Liu 1999)", 0.860, 0.525), ("kNN (Yang & Liu 1999)", 0.857, 0.524),
             ("kNN, tuned (Fan Li, CMU)", 0.857, 0.615)]
TARGET = (0.88, 0.60)
QUICK = (400, 200)  # training and test documents


def head(src: Path, n: int, into: Path, known: set[str] | None = None) -> tuple[Path, set[str]]:
    """The first ``n`` documents of ``src`` in ``into`` (only their ``known`` tags, if
    given: a small training set has not seen every tag) and the tags they hold."""
    tags, lines = set(), []
    with src.open(encoding="utf-8") as fh:
        for line, _ in zip(fh, range(n)):
            doc = json.loads(line)
            doc["tags"] = [t for t in doc["tags"] if known is None or t in known]
            tags.update(doc["tags"])
            lines.append(json.dumps(doc) + "\n")
    into.write_text("".join(lines), encoding="utf-8")
    return into, tags


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("--jobs", default="2")
    args, extra = common.options(ap, f"the first {QUICK[0]} training and {QUICK[1]} test "
                                     "documents, no search").parse_known_args(argv)
    exe = str(Path(sys.executable).parent / "tagger")
    extra = extra or ["--labelled-idf"]
    if args.quick:
        extra += ["--no-search", "--C", "30", "--ngram-max", "1", "--folds", "2"]
    with tempfile.TemporaryDirectory() as tmp:
        model, scores = Path(tmp) / "reuters-model", Path(tmp) / "scores.json"
        train_data, test_data = DATA / "train.jsonl", DATA / "test.jsonl"
        if args.quick:
            train_data, known = head(train_data, QUICK[0], Path(tmp) / "train.jsonl")
            test_data, _ = head(test_data, QUICK[1], Path(tmp) / "test.jsonl", known)
        t = time.perf_counter()
        subprocess.run([exe, "train", "--data", str(train_data), "--model", str(model),
                        "--jobs", args.jobs, "--quiet", *extra], check=True)
        train_s = time.perf_counter() - t
        subprocess.run([exe, "evaluate", "--model", str(model), "--data", str(test_data),
                        "--json", str(scores)], check=True, stdout=subprocess.DEVNULL)
        result = json.loads(scores.read_text())
        meta = json.loads((model / "model.json").read_text())
    micro, macro = result["micro"]["f1"], result["macro"]["f1"]
    print(f"tagger (this run, trained in {train_s:.0f}s; chosen C={meta['settings']['C']:g}, "
          f"ngram-max={meta['settings']['ngram_max']})")
    print(f"  test micro-F1 {micro:.3f} {result['micro']['f1_ci95']}, "
          f"macro-F1 {macro:.3f} {result['macro']['f1_ci95']} on {result['n_docs']} documents")
    for name, mi, ma in PUBLISHED:
        print(f"  {name:32s} micro-F1 {mi:.3f}, macro-F1 {ma:.3f}")
    ok = micro >= TARGET[0] and macro >= TARGET[1]
    print(f"target micro-F1 >= {TARGET[0]}, macro-F1 >= {TARGET[1]}: {'met' if ok else 'NOT met'}")
    name, best, best_macro = PUBLISHED[0]
    common.report(__file__, args, what="tagger micro-F1", figure=micro, unit="F1",
                  baseline_what=name, baseline=best,
                  target=f"micro-F1 >= {TARGET[0]}, macro-F1 >= {TARGET[1]}",
                  figures={"micro_f1": micro, "macro_f1": macro, "n_docs": result["n_docs"],
                           "train_seconds": train_s, "settings": meta["settings"],
                           "published": {n: {"micro_f1": a, "macro_f1": b} for n, a, b in PUBLISHED}})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
