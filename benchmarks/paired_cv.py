"""Shared by the *_gain benchmarks: paired nested cross-validation through the CLI."""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import common

REPO = common.REPO
CORPUS = common.SHARED / "corpus" / "ukraine-2022.jsonl"
LABELS = REPO / "labels" / "reference-train.csv"
EVIDENCE = REPO / "labels" / "reference-train-evidence.jsonl"
# --quick: the first labels, some unlabelled articles for the IDF, two folds, one seed,
# no search (the path is what is checked then, not the figures)
QUICK_LABELS, QUICK_UNLABELLED = 120, 200
QUICK_OPTIONS = ["--no-search"]


def quick_data(into: Path) -> tuple[Path, Path, Path]:
    """(corpus, labels, evidence) for --quick: the first QUICK_LABELS reference labels,
    their articles and evidence, and the first QUICK_UNLABELLED unlabelled articles."""
    with LABELS.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:QUICK_LABELS]
    ids = {r["id"] for r in rows}
    labels, corpus, evidence = into / "labels.csv", into / "corpus.jsonl", into / "evidence.jsonl"
    with labels.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["id", "tags"])
        writer.writeheader()
        writer.writerows({"id": r["id"], "tags": r["tags"]} for r in rows)
    unlabelled = 0
    with CORPUS.open(encoding="utf-8") as src, corpus.open("w", encoding="utf-8") as out:
        for line in src:
            doc_id = json.loads(line)["id"]
            if doc_id in ids or unlabelled < QUICK_UNLABELLED:
                unlabelled += doc_id not in ids
                out.write(line)
    with EVIDENCE.open(encoding="utf-8") as src, evidence.open("w", encoding="utf-8") as out:
        out.writelines(line for line in src if json.loads(line)["id"] in ids)
    return corpus, labels, evidence


def evaluate_cv(exe: str, options: list[str], seed: int, folds: int, out: Path,
                data: tuple[Path, Path] = (CORPUS, LABELS)) -> dict:
    """`tagger evaluate --cv` on the reference labels (or ``data``: corpus and labels); the
    scores as JSON."""
    corpus, labels = data
    subprocess.run([exe, "evaluate", "--cv", str(folds), "--data", str(corpus),
                    "--labels", str(labels), "--tags", str(REPO / "labels" / "tags.toml"),
                    *options, "--seed", str(seed), "--json", str(out), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def compare(script: str, description: str, what: str, baseline: tuple[str, list[str]],
            variant: tuple[str, list[str]]) -> None:
    """Run both option sets for each --seeds seed; print their F1 and the paired gains, and
    the summary line of ``script`` (micro-F1 of the variant against the baseline's)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--folds", type=int, default=5)
    args = common.options(ap, f"the first {QUICK_LABELS} labels, 2 folds, one seed, "
                              "no search").parse_args()
    exe = str(Path(sys.executable).parent / "tagger")
    extra = QUICK_OPTIONS if args.quick else []
    if args.quick:
        args.seeds, args.folds = [0], 2
    diffs, micro = {"micro": [], "macro": []}, {"a": [], "b": []}
    (name_a, opts_a), (name_b, opts_b) = baseline, variant
    with tempfile.TemporaryDirectory() as tmp:
        data = quick_data(Path(tmp))[:2] if args.quick else (CORPUS, LABELS)
        for seed in args.seeds:
            a = evaluate_cv(exe, [*opts_a, *extra], seed, args.folds, Path(tmp) / f"a-{seed}.json", data)
            b = evaluate_cv(exe, [*opts_b, *extra], seed, args.folds, Path(tmp) / f"b-{seed}.json", data)
            for avg in diffs:
                diffs[avg].append(b[avg]["f1"] - a[avg]["f1"])
            micro["a"].append(a["micro"]["f1"])
            micro["b"].append(b["micro"]["f1"])
            print(f"seed {seed}: {name_a} micro {a['micro']['f1']:.3f} macro {a['macro']['f1']:.3f}"
                  f" | {name_b} micro {b['micro']['f1']:.3f} macro {b['macro']['f1']:.3f}"
                  f" | per tag, {name_b}: "
                  + ", ".join(f"{t} {v['f1']:.3f}" for t, v in b["per_tag"].items()), flush=True)
    for avg, d in diffs.items():
        print(f"{avg}-F1 gain from {what}: median {statistics.median(d):+.3f} "
              f"(per seed: {', '.join(f'{x:+.3f}' for x in d)})")
    common.report(script, args, what=f"micro-F1 {name_b}", figure=statistics.median(micro["b"]),
                  unit="F1", baseline_what=f"micro-F1 {name_a}", baseline=statistics.median(micro["a"]),
                  figures={"seeds": args.seeds, "folds": args.folds, "micro_f1": micro,
                           "gain_median": {k: statistics.median(v) for k, v in diffs.items()},
                           "gain_per_seed": diffs})
