"""Do evidence sentences help? Paired nested cross-validation with and without them.

    python benchmarks/evidence_gain.py [--seeds 0 1 2] [--folds 5] [--full-search]

For each seed, runs `tagger evaluate --cv` on the reference labels twice, on the same
folds, with the settings search inside every fold: once with the labels alone and
`--no-sentences`, once with the labels and their evidence sentences (the `sentences`
setting searched, so a fold may still choose none). The other settings are fixed at
the values the shipped model's search chose (C 300, unigrams, keyword window 15), so
that a seed takes minutes, not an hour; --full-search searches them too. Prints micro-
and macro-F1 of both with the paired differences.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from paired_cv import REPO, evaluate_cv

FIXED = ["--C", "300", "--ngram-max", "1", "--keyword-window", "15"]
EVIDENCE = ["--labels", str(REPO / "labels" / "reference-train-evidence.jsonl")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--full-search", action="store_true")
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "tagger")
    fixed = [] if args.full_search else FIXED
    diffs = {"micro": [], "macro": []}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            a = evaluate_cv(exe, [*fixed, "--no-sentences"], seed, args.folds, Path(tmp) / f"a{seed}.json")
            b = evaluate_cv(exe, [*fixed, *EVIDENCE], seed, args.folds, Path(tmp) / f"b{seed}.json")
            for avg in diffs:
                diffs[avg].append(b[avg]["f1"] - a[avg]["f1"])
            print(f"seed {seed}: labels alone micro {a['micro']['f1']:.3f} macro {a['macro']['f1']:.3f}"
                  f" | with evidence micro {b['micro']['f1']:.3f} macro {b['macro']['f1']:.3f} | per tag "
                  "(alone -> evidence): " + ", ".join(
                      f"{t} {a['per_tag'][t]['f1']:.3f}->{v['f1']:.3f}" for t, v in b["per_tag"].items()),
                  flush=True)
    for avg, d in diffs.items():
        print(f"{avg}-F1 gain from evidence: median {statistics.median(d):+.3f} "
              f"(per seed: {', '.join(f'{x:+.3f}' for x in d)})")


if __name__ == "__main__":
    main()
