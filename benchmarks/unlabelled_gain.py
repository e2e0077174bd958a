"""Does text without labels help? Nested cross-validation with and without it.

    python benchmarks/unlabelled_gain.py [--seeds 0 1 2] [--folds 5]

For each seed, runs `tagger evaluate --cv` on the reference labels twice with the same
fixed settings (word unigrams, C=30, the schema's keywords with a 30-word window, no
search), once with the vocabulary and IDF fitted on
the labelled articles only (--labelled-idf) and once on all 4,063 articles of the corpus
(--unlabelled-idf), and prints micro- and macro-F1 with the paired differences.
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


def cv(exe, mode, seed, folds, tmp) -> dict:
    out = Path(tmp) / f"{mode}-{seed}.json"
    subprocess.run([exe, "evaluate", "--cv", str(folds), "--data", str(CORPUS),
                    "--labels", str(REPO / "labels" / "reference-train.csv"),
                    "--tags", str(REPO / "labels" / "tags.toml"), "--no-search", "--ngram-max", "1",
                    "--C", "30", f"--{mode}", "--seed", str(seed), "--json", str(out), "--quiet"],
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
            a = cv(exe, "labelled-idf", seed, args.folds, tmp)
            b = cv(exe, "unlabelled-idf", seed, args.folds, tmp)
            for avg in diffs:
                diffs[avg].append(b[avg]["f1"] - a[avg]["f1"])
            print(f"seed {seed}: labelled-only IDF micro {a['micro']['f1']:.3f} macro {a['macro']['f1']:.3f}"
                  f" | all-documents IDF micro {b['micro']['f1']:.3f} macro {b['macro']['f1']:.3f}", flush=True)
    for avg, d in diffs.items():
        print(f"{avg}-F1 gain from unlabelled text: median {statistics.median(d):+.3f} "
              f"(per seed: {', '.join(f'{x:+.3f}' for x in d)})")


if __name__ == "__main__":
    main()
