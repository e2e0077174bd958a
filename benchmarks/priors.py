"""Tag rates of a new batch estimated without labels (`--adapt-priors`): do they help?

    python benchmarks/priors.py [--seeds 0 1 2] [--scenarios ab] [--quick] [--json PATH]

On the temporal benchmark's scenarios (benchmarks/temporal.py: (a) 2022 reference labels
-> 120 random Economist labels of 2023-2025; (b) reference Jan-Jun 2022 -> Jul-Dec 2022),
with its fixed settings, today's model is scored as it is and with its scores adjusted
to the tag rates estimated (tagger.model.priors) by EM ("em") or by the mean score (its
first step, "mean"), on the scored documents alone (what `tagger tag --adapt-priors` does
on them) or on them and the period's unlabelled ones ("+pool": (a) all 421 Economist
articles; (b) every July-December 2022 article); and, as a ceiling that no method has (it
reads the labels), to the scored documents' true rates ("oracle"). Prints each tag's rate
(training, true, estimated) and F1, and the paired bootstrap difference against today's scores (median over seeds, the
95% interval of the median seed's run). news-2023-2025 is never read. The summary line: the
first scenario's micro-F1 with EM's rates against today's. --quick: scenario (a) trained on
the first 150 reference labels, seed 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import temporal  # noqa: E402  (the shared yardstick: data, scenarios, fixed settings)

WAYS = ("em", "em+pool", "mean", "mean+pool", "oracle")


def one_run(splits, schema, tags, seed: int) -> dict:
    """Rates and paired differences of each way of adapting, for one seed."""
    import tagger
    from tagger.labels.attach import binarize
    from tagger.model.bootstrap import paired_difference
    from tagger.model.metrics import score
    from tagger.model.priors import PriorEstimate, estimate_for, training_priors

    (train_docs, test_docs, pool), = splits
    model = temporal.trained(train_docs, schema, tagger.Settings(**temporal.FIXED, seed=seed))
    P = model.predict_proba([d.content for d in test_docs])
    P_pool = model.predict_proba([d.content for d in pool])
    Y = binarize(test_docs, tags)
    old = model.decide(P)
    prior = training_priors(model)
    both = np.vstack([P, P_pool])
    estimates = {"em": estimate_for(model, P), "em+pool": estimate_for(model, both),
                 "mean": estimate_for(model, P, "mean"),
                 "mean+pool": estimate_for(model, both, "mean"),
                 "oracle": PriorEstimate(tuple(tags), prior, np.clip(Y.mean(axis=0), 1e-4, 1 - 1e-4),
                                         np.zeros(len(tags)), np.ones(len(tags), bool), len(P))}
    out = {"rates": {"training": prior, "true": Y.mean(axis=0),
                     **{w: e.estimated for w, e in estimates.items() if w != "oracle"}},
           "f1": {"old": score(Y, old, tags)}, "diff": {}}
    for way, est in estimates.items():
        decided = (est.adjust(P) >= model.thresholds).astype(np.int8)
        out["f1"][way] = score(Y, decided, tags)
        out["diff"][way] = paired_difference(Y, decided, old, tags, seed=seed)
    return out


def median_cell(runs, get):
    """[median difference, low, high] with the interval of the median seed's run."""
    cells = sorted((get(r) for r in runs), key=lambda c: c[0])
    mid = cells[(len(cells) - 1) // 2]
    return [statistics.median(c[0] for c in cells), mid[1], mid[2]]


def report(runs, tags) -> list[str]:
    med = lambda f: statistics.median(f(r) for r in runs)  # noqa: E731
    lines = [f"  {'tag rate':<20}" + "".join(f"{t[:14]:>16}" for t in tags)]
    for name in ("training", "true", *WAYS[:-1]):
        label = name if name in ("training", "true") else f"estimated: {name}"
        lines.append(f"  {label:<20}" + "".join(
            f"{med(lambda r, k=k: float(r['rates'][name][k])):>16.3f}" for k in range(len(tags))))
    head = f"  {'F1':<10}{'micro':>8}{'macro':>8}" + "".join(f"{t[:8]:>9}" for t in tags)
    lines += ["", head]
    for way in ("old", *WAYS):
        lines.append(f"  {way:<10}{med(lambda r: r['f1'][way]['micro']['f1']):>8.3f}"
                     f"{med(lambda r: r['f1'][way]['macro']['f1']):>8.3f}" + "".join(
                         f"{med(lambda r, t=t: r['f1'][way]['per_tag'][t]['f1']):>9.3f}" for t in tags))
    lines += ["", "  paired difference against today's scores [95%]"]
    for way in WAYS:
        cells = [("micro", median_cell(runs, lambda r: r["diff"][way]["micro_f1"])),
                 ("macro", median_cell(runs, lambda r: r["diff"][way]["macro_f1"]))]
        cells += [(t[:10], median_cell(runs, lambda r, t=t: r["diff"][way]["per_tag_f1"][t]))
                  for t in tags]
        lines.append(f"  {way:<10}" + "  ".join(f"{n} {c[0]:+.3f} [{c[1]:+.3f},{c[2]:+.3f}]"
                                               for n, c in cells))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--scenarios", default="ab")
    args = common.options(ap, f"scenario (a) on the first {temporal.QUICK_LABELS} reference "
                              "labels, seed 0").parse_args()
    if args.quick:
        args.seeds, args.scenarios = [0], "a"
    import tagger

    schema = tagger.load_schema(temporal.LABELS / "tags.toml")
    tags = [t.id for t in schema.tags]
    figures = {}
    for key, (title, make_splits) in temporal.scenarios(
            args.scenarios.replace("c", ""), temporal.QUICK_LABELS if args.quick else None).items():
        runs = [one_run(make_splits(seed), schema, tags, seed) for seed in args.seeds]
        print(f"\n({key}) {title}; seeds {' '.join(map(str, args.seeds))}, medians")
        print("\n".join(report(runs, tags)), flush=True)
        figures[key] = {way: {"micro_f1": statistics.median(r["f1"][way]["micro"]["f1"] for r in runs),
                              "macro_f1": statistics.median(r["f1"][way]["macro"]["f1"] for r in runs)}
                        for way in ("old", *WAYS)}
    first = next(iter(figures))
    common.report(__file__, args, what=f"({first}) micro-F1 with EM's rates",
                  figure=figures[first]["em"]["micro_f1"], unit="F1",
                  baseline_what=f"({first}) micro-F1 today", baseline=figures[first]["old"]["micro_f1"],
                  figures={"seeds": args.seeds, "scenarios": figures})


if __name__ == "__main__":
    main()
