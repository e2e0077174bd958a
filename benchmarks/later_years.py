"""How the model holds on later years: trained on 2022, scored on 2023-2025 articles.

    python benchmarks/later_years.py [--folds 5] [--full-search] [--quick] [--json PATH]

(a) Trained on the 2022 labels (reference and seeds), with and without their evidence,
    scored on the 120 Economist articles of 2023-2025 labelled at random
    (labels/economist-random.csv), which neither model saw.
(b) Trained on both (2022 and Economist labels, with evidence), scored by cross-validation
    (`tagger evaluate --cv`, the settings search inside every fold): overall, and on the
    Economist articles of the held-out folds alone.
Settings other than `sentences` are fixed at the shipped model's (C 300, unigrams,
keyword window 15) unless --full-search. Prints micro- and macro-F1 with 95% bootstrap
intervals. The summary line: (a) with evidence against (a) without. --quick: the first 150
labelled and 300 unlabelled articles of each input, no search, 2 folds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import common

REPO, SHARED = common.REPO, common.SHARED
LABELS = REPO / "labels"
FIXED = dict(C=300.0, ngram_max=1, keyword_window=15)
QUICK = 150, 300  # labelled and unlabelled articles of each input, with --quick


def load(corpora, label_files, quick: bool = False):
    import tagger

    paths = [SHARED / "corpus" / c for c in corpora] + [REPO / "seeds"]
    docs = tagger.attach_labels(tagger.read_documents(paths), [LABELS / f for f in label_files])
    if not quick:
        return docs
    # the first labelled and unlabelled articles of each input, in their order
    origin = {d.id: i for i, p in enumerate(paths) for d in tagger.read_documents([p])}
    kept: dict = {}
    out = []
    for d in docs:
        key = (origin[d.id], d.tags is not None)
        if kept.get(key, 0) < QUICK[0 if key[1] else 1]:
            kept[key] = kept.get(key, 0) + 1
            out.append(d)
    return out


def line(name, s):
    return (f"{name}: micro-F1 {s['micro']['f1']:.3f} {s['micro']['f1_ci95']}, "
            f"macro-F1 {s['macro']['f1']:.3f} {s['macro']['f1_ci95']} ({s['n_docs']} documents)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--full-search", action="store_true")
    args = common.options(ap, "the first 150 labelled and 300 unlabelled articles, no search, "
                              "2 folds").parse_args()
    quick = args.quick
    import numpy as np

    import tagger
    from tagger.config import DEFAULT_SEARCH
    from tagger.evaluation.crossval import cross_validation
    from tagger.evaluation.results import Evaluation

    schema = tagger.load_schema(LABELS / "tags.toml")
    base = tagger.Settings() if args.full_search else tagger.Settings(**FIXED)
    search = dict(DEFAULT_SEARCH) if args.full_search else {"sentences": (False, True)}
    if args.quick:
        search, args.folds = {}, 2
    scores = {}
    later = load(["economist-2023-2025.jsonl"], ["economist-random.csv"], quick)
    plain = ["reference-train.csv", "seeds.csv"]
    evidence = ["reference-train-evidence.jsonl", "seeds-evidence.jsonl"]
    for name, files, s in (("2022 labels alone", plain, {k: v for k, v in search.items() if k != "sentences"}),
                           ("2022 labels with evidence", plain + evidence, search)):
        settings = base  # --quick: no search, so the evidence is used by fixing sentences on
        if quick and files != plain:
            settings = tagger.Settings(**FIXED, sentences=True)
        model = tagger.train(load(["ukraine-2022.jsonl"], files, quick), schema=schema, settings=settings,
                             search=s or None)
        scores[name] = tagger.evaluate(model, later)
        print(line(f"(a) {name} -> Economist 2023-2025", scores[name]),
              f"[sentences={model.settings.sentences}]", flush=True)
    both = load(["ukraine-2022.jsonl", "economist-2023-2025.jsonl"],
                plain + evidence + ["economist-random.csv", "economist-random-evidence.jsonl"], quick)
    ev = cross_validation(both, k=args.folds, schema=schema, settings=base, search=search or None)
    print(line(f"(b) 2022 + Economist labels, {args.folds}-fold cross-validation", ev.summary()))
    economist = {d.id for d in later if d.tags is not None}
    rows = np.array([i in economist for i in ev.ids])
    sub = Evaluation(tags=ev.tags, ids=[i for i, r in zip(ev.ids, rows) if r], titles=[],
                     Y=ev.Y[rows], proba=ev.proba[rows], P=ev.P[rows], thresholds=ev.thresholds)
    print(line("(b) ... of which the Economist articles", sub.summary()))
    scores["cross-validation"], scores["cross-validation, Economist"] = ev.summary(), sub.summary()
    common.report(__file__, args, what="micro-F1 of (a) with evidence",
                  figure=scores["2022 labels with evidence"]["micro"]["f1"], unit="F1",
                  baseline_what="micro-F1 of (a) labels alone",
                  baseline=scores["2022 labels alone"]["micro"]["f1"],
                  figures={k: {"micro": v["micro"], "macro": v["macro"], "n_docs": v["n_docs"]}
                           for k, v in scores.items()})


if __name__ == "__main__":
    main()
