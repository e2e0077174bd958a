"""Reuters-21578 (ModApte, R90): train and score through the tagger command line.

    python benchmarks/reuters.py [--jobs 2] [extra tagger train options...]

Trains with `tagger train` on ../shared/benchmarks/reuters21578/train.jsonl (labels from
its `tags` field), scores test.jsonl with `tagger evaluate --json`, and prints micro- and
macro-F1 beside the published results on this split. The model goes to a temporary
directory. Default training options: vocabulary and IDF from the labelled training set
(there are no unlabelled documents), C and word n-grams searched by `tagger train`'s
5-fold cross-validation.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "benchmarks" / "reuters21578"
PUBLISHED = [("linear SVM (Yang & Liu 1999)", 0.860, 0.525), ("kNN (Yang & Liu 1999)", 0.857, 0.524),
             ("kNN, tuned (Fan Li, CMU)", 0.857, 0.615)]
TARGET = (0.88, 0.60)


def main(argv: list[str]) -> int:
    exe = str(Path(sys.executable).parent / "tagger")
    jobs = "2"
    if "--jobs" in argv:
        i = argv.index("--jobs")
        jobs = argv[i + 1]
        del argv[i:i + 2]
    extra = argv or ["--labelled-idf"]
    with tempfile.TemporaryDirectory() as tmp:
        model, scores = Path(tmp) / "reuters-model", Path(tmp) / "scores.json"
        t = time.perf_counter()
        subprocess.run([exe, "train", "--data", str(DATA / "train.jsonl"), "--model", str(model),
                        "--jobs", jobs, "--quiet", *extra], check=True)
        train_s = time.perf_counter() - t
        subprocess.run([exe, "evaluate", "--model", str(model), "--data", str(DATA / "test.jsonl"),
                        "--json", str(scores)], check=True, stdout=subprocess.DEVNULL)
        result = json.loads(scores.read_text())
        meta = json.loads((model / "model.json").read_text())
    micro, macro = result["micro"]["f1"], result["macro"]["f1"]
    print(f"tagger (this run, trained in {train_s:.0f}s; chosen C={meta['settings']['C']:g}, "
          f"ngram-max={meta['settings']['ngram_max']})")
    print(f"  test micro-F1 {micro:.3f} {result['micro']['f1_ci95']}, "
          f"macro-F1 {macro:.3f} {result['macro']['f1_ci95']} on {result['n_docs']} documents")
    for name, mi, ma in PUBLISHED:
        print(f"  {name:32s} micro-F1 {mi:.3f}, macro-F1 {ma:.3f}")
    ok = micro >= TARGET[0] and macro >= TARGET[1]
    print(f"target micro-F1 >= {TARGET[0]}, macro-F1 >= {TARGET[1]}: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
