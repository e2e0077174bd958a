"""Does the drift warning say what it should? Scores and drift figures, side by side.

    python benchmarks/drift.py [--slices 5] [--slice-size 259] [--quick] [--json PATH]

1. A model trained on the 2022 labels (reference-train with evidence, the manual's
   `model-2022` settings, no search), with the 2022 corpus as its unlabelled data except a
   held-out fifth of it (seeded). Its micro/macro F1 on the Economist 2023-2025 labels, and
   the drift figures (`tagger.model.drift`) of: random slices of the held-out 2022
   articles, the whole held-out fifth, the Economist corpus, and the news corpus.
2. The shipped model (models/ukraine-war, whose training data hold every 2022 article and
   the Economist corpus): the same figures for 2022 slices (seen in training: a floor) and
   the news corpus (never used to build it).

The bounds in tagger/model/drift.py were chosen from these figures: the held-out 2022
rows must not warn, the 2023-2025 rows should. The summary line: the share of words unseen
in training, Economist against held-out 2022. --quick: the first 800 articles of 2022 and 100 of the news,
one slice of 50.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import common

REPO = common.REPO
CORPUS = common.SHARED / "corpus"
QUICK = 800, 100, 50  # 2022 articles, news articles, slice size


def figures(model, docs) -> dict:
    from tagger.model.drift import DriftCounts, drift_report

    counts = DriftCounts()
    model.predict(docs, evidence=False, drift=counts)
    return drift_report(model, counts)


def row(name: str, r: dict) -> str:
    rates = " ".join(f"{v['ratio']:5.2f}" for v in r["tag_rates"].values())
    return (f"{name:<34} {r['documents']:6d} {100 * r['unseen_share']:7.2f}% {r['unseen_ratio']:6.2f} "
            f"{r['near_ratio']:6.2f}  {rates}  {'WARN' if r['warning'] else '-'}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--slices", type=int, default=5, help="random held-out 2022 slices")
    ap.add_argument("--slice-size", type=int, default=259, help="articles per slice (as many as the news corpus)")
    ap.add_argument("--seed", type=int, default=0)
    args = common.options(ap, "the first 800 articles of 2022, 100 of the news, one slice "
                              "of 50").parse_args(argv)
    first = QUICK if args.quick else (None, None, None)
    if args.quick:
        args.slices, args.slice_size = 1, QUICK[2]

    import tagger
    from tagger.evaluation.results import evaluation
    from tagger.labels.attach import attach_labels
    from tagger.labels.tagschema import load_schema

    schema = load_schema(REPO / "labels" / "tags.toml")
    y2022 = attach_labels(tagger.read_documents([CORPUS / "ukraine-2022.jsonl"]),
                          [REPO / "labels" / "reference-train.csv",
                           REPO / "labels" / "reference-train-evidence.jsonl"], known_tags=schema.ids)
    economist = tagger.read_documents([CORPUS / "economist-2023-2025.jsonl"])
    news = tagger.read_documents([CORPUS / "news-2023-2025.jsonl"])[:first[1]]
    y2022 = y2022[:first[0]]
    rng = np.random.default_rng(args.seed)
    unlabelled = [d for d in y2022 if d.tags is None]
    order = rng.permutation(len(unlabelled))
    held = [unlabelled[i] for i in order[: len(unlabelled) // 5]]
    held_ids = {d.id for d in held}
    train_docs = [d for d in y2022 if d.id not in held_ids]

    started = time.perf_counter()
    model = tagger.train(train_docs, schema=schema, search=None, settings=tagger.Settings(
        C=300, ngram_max=1, keyword_window=15, sentences=True, seed=args.seed))
    print(f"model-2022: {len(train_docs)} training documents ({sum(d.tags is not None for d in train_docs)} "
          f"labelled), trained in {time.perf_counter() - started:.0f}s; {len(held)} 2022 articles held out")
    scored = evaluation(model, attach_labels(economist, [REPO / "labels" / "economist-random.csv"],
                                             known_tags=schema.ids)).summary()
    print(f"model-2022 on the Economist labels ({scored['n_docs']}): micro-F1 {scored['micro']['f1']:.3f} "
          f"{scored['micro']['f1_ci95']}, macro-F1 {scored['macro']['f1']:.3f} {scored['macro']['f1_ci95']}")

    header = (f"{'model / documents':<34} {'docs':>6} {'unseen':>8} {'ratio':>6} {'near':>6}  "
              f"tag-rate ratios ({', '.join(schema.ids)})")
    results = {"economist_scores": {"micro": scored["micro"], "macro": scored["macro"],
                                    "n_docs": scored["n_docs"]}, "rows": {}}

    def show(name, m, docs):
        r = figures(m, docs)
        results["rows"][name] = r
        print(row(name, r))

    print("\n" + header)
    base = model.metadata["drift"]
    print(f"{'model-2022 training baseline':<34} {base['documents']:6d} {100 * base['unseen_share']:7.2f}%")
    for k in range(args.slices):
        pick = rng.choice(len(held), min(args.slice_size, len(held)), replace=False)
        show(f"model-2022: held-out 2022 slice {k + 1}", model, [held[i] for i in pick])
    show("model-2022: held-out 2022, all", model, held)
    show("model-2022: economist 2023-2025", model, economist)
    show("model-2022: news 2023-2025", model, news)

    shipped = tagger.load_model()
    base = shipped.metadata["drift"]
    print(f"{'shipped training baseline':<34} {base['documents']:6d} {100 * base['unseen_share']:7.2f}%")
    everything = [d for d in y2022 if d.tags is None]
    for k in range(min(2, args.slices)):
        pick = rng.choice(len(everything), args.slice_size, replace=False)
        show(f"shipped: 2022 slice {k + 1} (in training)", shipped, [everything[i] for i in pick])
    show("shipped: news 2023-2025", shipped, news)
    held_all = results["rows"]["model-2022: held-out 2022, all"]
    common.report(__file__, args, what="unseen words, Economist 2023-2025",
                  figure=results["rows"]["model-2022: economist 2023-2025"]["unseen_share"],
                  unit="share", baseline_what="unseen words, held-out 2022",
                  baseline=held_all["unseen_share"], figures=results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
