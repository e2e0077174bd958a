"""Shared by the *_gain benchmarks: paired nested cross-validation through the CLI."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "ukraine-2022.jsonl"


def evaluate_cv(exe: str, options: list[str], seed: int, folds: int, out: Path) -> dict:
    """`tagger evaluate --cv` on the reference labels; the scores as JSON."""
    subprocess.run([exe, "evaluate", "--cv", str(folds), "--data", str(CORPUS),
                    "--labels", str(REPO / "labels" / "reference-train.csv"),
                    "--tags", str(REPO / "labels" / "tags.toml"), *options,
                    "--seed", str(seed), "--json", str(out), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def compare(description: str, what: str, baseline: tuple[str, list[str]],
            variant: tuple[str, list[str]]) -> None:
    """Run both option sets for each --seeds seed; print their F1 and the paired gains."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "tagger")
    diffs = {"micro": [], "macro": []}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            (name_a, opts_a), (name_b, opts_b) = baseline, variant
            a = evaluate_cv(exe, opts_a, seed, args.folds, Path(tmp) / f"a-{seed}.json")
            b = evaluate_cv(exe, opts_b, seed, args.folds, Path(tmp) / f"b-{seed}.json")
            for avg in diffs:
                diffs[avg].append(b[avg]["f1"] - a[avg]["f1"])
            print(f"seed {seed}: {name_a} micro {a['micro']['f1']:.3f} macro {a['macro']['f1']:.3f}"
                  f" | {name_b} micro {b['micro']['f1']:.3f} macro {b['macro']['f1']:.3f}"
                  f" | per tag, {name_b}: "
                  + ", ".join(f"{t} {v['f1']:.3f}" for t, v in b["per_tag"].items()), flush=True)
    for avg, d in diffs.items():
        print(f"{avg}-F1 gain from {what}: median {statistics.median(d):+.3f} "
              f"(per seed: {', '.join(f'{x:+.3f}' for x in d)})")
