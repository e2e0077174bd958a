"""How well `tagger audit` finds wrong labels: flip some, and see what it lists.

    python benchmarks/audit.py [--corpus reference|reuters|both] [--share 0.05] [-k 50] [--seeds 3]
        [--quick] [--json PATH]

For the 450 reference labels and the Reuters-21578 R90 training labels: flip each (article,
tag) decision with probability --share (seeded: a tag given becomes not given, and the
reverse), run the audit (fixed settings, no search), and report precision at k (the share
of the top k that are flips) and the recall of the flips (at k, and among every suspect
listed). Then the same with no flips: every suspect listed is then either a real mistake in
our labels or a false alarm, so its count and top confidences show how often the audit
cries wolf. Medians over --seeds seeds. The summary line: the first corpus's precision at k
against --share (what listing decisions at random finds). --quick: the first 150 reference
labels, one seed, k 20.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

import common

REPO, SHARED = common.REPO, common.SHARED
QUICK_DOCS = 150


def load(corpus):
    from tagger import Settings, attach_labels, load_schema, read_documents
    from tagger.labels.attach import labelled

    if corpus == "reference":
        schema = load_schema(REPO / "labels" / "tags.toml")
        docs = labelled(attach_labels(read_documents([SHARED / "corpus" / "ukraine-2022.jsonl"]),
                                      [REPO / "labels" / "reference-train.csv"],
                                      known_tags=schema.ids))
        return docs, schema, schema.ids, Settings(C=300, ngram_max=1, keyword_window=15)
    docs = read_documents([SHARED / "benchmarks" / "reuters21578" / "train.jsonl"])
    tags = sorted({t for d in docs for t in d.tags})
    return docs, None, tags, Settings()


def flip(docs, tags, share, seed):
    rng = np.random.default_rng(seed)
    flips, out = set(), []
    for d in docs:
        given = set(d.tags)
        for t, u in zip(tags, rng.random(len(tags))):
            if u < share:
                flips.add((d.id, t))
                given ^= {t}
        out.append(replace(d, tags=tuple(t for t in tags if t in given)))
    return out, flips


def main() -> int:
    from tagger.evaluation.audit import audit

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["reference", "reuters", "both"], default="both")
    parser.add_argument("--share", type=float, default=0.05)
    parser.add_argument("-k", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=3)
    args = common.options(parser, f"the first {QUICK_DOCS} reference labels, one seed, "
                                  "k 20").parse_args()
    if args.quick:
        args.corpus, args.seeds, args.k = "reference", 1, 20
    figures = {}
    for corpus in (["reference", "reuters"] if args.corpus == "both" else [args.corpus]):
        docs, schema, tags, settings = load(corpus)
        docs = docs[:QUICK_DOCS] if args.quick else docs
        print(f"\n{corpus}: {len(docs)} labelled articles x {len(tags)} tags = "
              f"{len(docs) * len(tags):,} decisions")
        precision, recall_k, recall_all, listed = [], [], [], []
        for seed in range(args.seeds):
            noisy, flips = flip(docs, tags, args.share, seed)
            found = audit(noisy, schema=schema, settings=settings, k=None)
            top = found[:args.k]
            hits_k = sum((s.id, s.tag) in flips for s in top)
            hits = sum((s.id, s.tag) in flips for s in found)
            precision.append(hits_k / max(1, len(top)))
            recall_k.append(hits_k / len(flips))
            recall_all.append(hits / len(flips))
            listed.append(len(found))
            print(f"  seed {seed}: {len(flips)} flips; precision@{args.k} {precision[-1]:.2f}, "
                  f"recall@{args.k} {recall_k[-1]:.3f}, {len(found)} suspects listed holding "
                  f"{recall_all[-1]:.2f} of the flips")
        med = statistics.median
        print(f"  median: precision@{args.k} {med(precision):.2f}, recall@{args.k} "
              f"{med(recall_k):.3f}, recall of all suspects {med(recall_all):.2f} "
              f"({med(listed):.0f} listed)")
        clean = audit(docs, schema=schema, settings=settings, k=None)
        confs = [s.confidence for s in clean[:args.k]]
        print(f"  no flips: {len(clean)} suspects listed "
              f"({len(clean) / (len(docs) * len(tags)):.2%} of decisions); top {args.k} "
              f"confidence median {med(confs) if confs else float('nan'):.2f}, "
              f"lowest {min(confs) if confs else float('nan'):.2f}")
        figures[corpus] = {"documents": len(docs), "tags": len(tags),
                           f"precision_at_{args.k}": med(precision), f"recall_at_{args.k}": med(recall_k),
                           "recall_of_all_suspects": med(recall_all), "listed": med(listed),
                           "listed_without_flips": len(clean)}
    first = next(iter(figures))
    common.report(__file__, args, what=f"{first} precision at {args.k}",
                  figure=figures[first][f"precision_at_{args.k}"], unit="share",
                  baseline_what="flips among all decisions", baseline=args.share,
                  figures={"share": args.share, "k": args.k, "seeds": args.seeds, "corpora": figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
