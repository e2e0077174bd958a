"""Do the tag schema's keywords help? Nested cross-validation with and without them.

    python benchmarks/keyword_gain.py [--seeds 0 1 2] [--folds 5]

For each seed, runs `tagger evaluate --cv` on the reference labels twice, with the default
settings search inside every fold: once as `tagger train` runs by default (the keyword
window searched over 0, 15 and 30 words, so a fold may still choose no keywords) and once
with `--keyword-window 0` (no keyword features at all). Prints micro- and macro-F1 of both
with the paired differences. Takes about three minutes a seed on two cores.
"""

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


def cv(exe, extra, name, seed, folds, tmp) -> dict:
    out = Path(tmp) / f"{name}-{seed}.json"
    subprocess.run([exe, "evaluate", "--cv", str(folds), "--data", str(CORPUS),
                    "--labels", str(REPO / "labels" / "reference-train.csv"),
                    "--tags", str(REPO / "labels" / "tags.toml"), *extra,
                    "--seed", str(seed), "--json", str(out), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "tagger")
    diffs = {"micro": [], "macro": []}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            a = cv(exe, ["--keyword-window", "0"], "without", seed, args.folds, tmp)
            b = cv(exe, [], "with", seed, args.folds, tmp)
            for avg in diffs:
                diffs[avg].append(b[avg]["f1"] - a[avg]["f1"])
            print(f"seed {seed}: without keywords micro {a['micro']['f1']:.3f} macro {a['macro']['f1']:.3f}"
                  f" | with keywords micro {b['micro']['f1']:.3f} macro {b['macro']['f1']:.3f}"
                  f" | per tag with: " + ", ".join(f"{t} {v['f1']:.3f}" for t, v in b["per_tag"].items()),
                  flush=True)
    for avg, d in diffs.items():
        print(f"{avg}-F1 gain from keywords: median {statistics.median(d):+.3f} "
              f"(per seed: {', '.join(f'{x:+.3f}' for x in d)})")


if __name__ == "__main__":
    main()
