"""How the model holds on later years: trained on 2022, scored on 2023-2025 articles.

    python benchmarks/later_years.py [--folds 5] [--full-search]

(a) Trained on the 2022 labels (reference and seeds), with and without their evidence,
    scored on the 120 Economist articles of 2023-2025 labelled at random
    (labels/economist-random.csv), which neither model saw.
(b) Trained on both (2022 and Economist labels, with evidence), scored by cross-validation
    (`tagger evaluate --cv`, the settings search inside every fold): overall, and on the
    Economist articles of the held-out folds alone.
Settings other than `sentences` are fixed at the shipped model's (C 300, unigrams,
keyword window 15) unless --full-search. Prints micro- and macro-F1 with 95% bootstrap
intervals.
"""

from __future__ import annotations

import argparse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
LABELS = REPO / "labels"
FIXED = dict(C=300.0, ngram_max=1, keyword_window=15)


def load(corpora, label_files):
    import tagger

    docs = tagger.read_documents([SHARED / "corpus" / c for c in corpora] + [REPO / "seeds"])
    return tagger.attach_labels(docs, [LABELS / f for f in label_files])


def line(name, s):
    return (f"{name}: micro-F1 {s['micro']['f1']:.3f} {s['micro']['f1_ci95']}, "
            f"macro-F1 {s['macro']['f1']:.3f} {s['macro']['f1_ci95']} ({s['n_docs']} documents)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--full-search", action="store_true")
    args = ap.parse_args()
    import numpy as np

    import tagger
    from tagger.config import DEFAULT_SEARCH
    from tagger.evaluation.crossval import cross_validation
    from tagger.evaluation.results import Evaluation

    schema = tagger.load_schema(LABELS / "tags.toml")
    base = tagger.Settings() if args.full_search else tagger.Settings(**FIXED)
    search = dict(DEFAULT_SEARCH) if args.full_search else {"sentences": (False, True)}
    later = load(["economist-2023-2025.jsonl"], ["economist-random.csv"])
    plain = ["reference-train.csv", "seeds.csv"]
    evidence = ["reference-train-evidence.jsonl", "seeds-evidence.jsonl"]
    for name, files, s in (("2022 labels alone", plain, {k: v for k, v in search.items() if k != "sentences"}),
                           ("2022 labels with evidence", plain + evidence, search)):
        model = tagger.train(load(["ukraine-2022.jsonl"], files), schema=schema, settings=base,
                             search=s or None)
        print(line(f"(a) {name} -> Economist 2023-2025", tagger.evaluate(model, later)),
              f"[sentences={model.settings.sentences}]", flush=True)
    both = load(["ukraine-2022.jsonl", "economist-2023-2025.jsonl"],
                plain + evidence + ["economist-random.csv", "economist-random-evidence.jsonl"])
    ev = cross_validation(both, k=args.folds, schema=schema, settings=base, search=search)
    print(line(f"(b) 2022 + Economist labels, {args.folds}-fold cross-validation", ev.summary()))
    economist = {d.id for d in later if d.tags is not None}
    rows = np.array([i in economist for i in ev.ids])
    sub = Evaluation(tags=ev.tags, ids=[i for i, r in zip(ev.ids, rows) if r], titles=[],
                     Y=ev.Y[rows], proba=ev.proba[rows], P=ev.P[rows], thresholds=ev.thresholds)
    print(line("(b) ... of which the Economist articles", sub.summary()))


if __name__ == "__main__":
    main()
