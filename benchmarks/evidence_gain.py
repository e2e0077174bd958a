"""Do evidence sentences help? Paired nested cross-validation with and without them.

    python benchmarks/evidence_gain.py [--seeds 0 1 2] [--folds 5] [--full-search] [--quick]
        [--json PATH]

For each seed, runs `tagger evaluate --cv` on the reference labels twice, on the same
folds, with the settings search inside every fold: once with the labels alone and
`--no-sentences`, once with the labels and their evidence sentences (the `sentences`
setting searched, so a fold may still choose none). The other settings are fixed at
the values the shipped model's search chose (C 300, unigrams, keyword window 15), so
that a seed takes minutes, not an hour; --full-search searches them too. Prints micro-
and macro-F1 of both with the paired differences. --quick: the first 120 labels, 2 folds,
one seed, no search (so --sentences itself with the evidence).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import common
from paired_cv import CORPUS, EVIDENCE, LABELS, QUICK_LABELS, evaluate_cv, quick_data

FIXED = ["--C", "300", "--ngram-max", "1", "--keyword-window", "15"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--full-search", action="store_true")
    args = common.options(ap, f"the first {QUICK_LABELS} labels, 2 folds, one seed, "
                              "no search").parse_args()
    exe = str(Path(sys.executable).parent / "tagger")
    fixed = [] if args.full_search else FIXED
    if args.quick:
        args.seeds, args.folds, fixed = [0], 2, [*FIXED, "--no-search"]
    diffs, micro = {"micro": [], "macro": []}, {"alone": [], "evidence": []}
    with tempfile.TemporaryDirectory() as tmp:
        corpus, labels, evidence = quick_data(Path(tmp)) if args.quick else (CORPUS, LABELS, EVIDENCE)
        with_evidence = ["--labels", str(evidence)] + (["--sentences"] if args.quick else [])
        for seed in args.seeds:
            a = evaluate_cv(exe, [*fixed, "--no-sentences"], seed, args.folds,
                            Path(tmp) / f"a{seed}.json", (corpus, labels))
            b = evaluate_cv(exe, [*fixed, *with_evidence], seed, args.folds,
                            Path(tmp) / f"b{seed}.json", (corpus, labels))
            for avg in diffs:
                diffs[avg].append(b[avg]["f1"] - a[avg]["f1"])
            micro["alone"].append(a["micro"]["f1"])
            micro["evidence"].append(b["micro"]["f1"])
            print(f"seed {seed}: labels alone micro {a['micro']['f1']:.3f} macro {a['macro']['f1']:.3f}"
                  f" | with evidence micro {b['micro']['f1']:.3f} macro {b['macro']['f1']:.3f} | per tag "
                  "(alone -> evidence): " + ", ".join(
                      f"{t} {a['per_tag'][t]['f1']:.3f}->{v['f1']:.3f}" for t, v in b["per_tag"].items()),
                  flush=True)
    for avg, d in diffs.items():
        print(f"{avg}-F1 gain from evidence: median {statistics.median(d):+.3f} "
              f"(per seed: {', '.join(f'{x:+.3f}' for x in d)})")
    common.report(__file__, args, what="micro-F1 with evidence", figure=statistics.median(micro["evidence"]),
                  unit="F1", baseline_what="micro-F1 labels alone",
                  baseline=statistics.median(micro["alone"]),
                  figures={"seeds": args.seeds, "folds": args.folds, "micro_f1": micro,
                           "gain_median": {k: statistics.median(v) for k, v in diffs.items()},
                           "gain_per_seed": diffs})


if __name__ == "__main__":
    main()
