"""How long training takes: the search against one fit with its settings fixed.

    python benchmarks/train_speed.py [--runs 3] [--cv-runs 1] [--old REV] [--jobs N] [--quick]
        [--json PATH]

Runs, as a user would, the shipped model's training command (docs/training.md, "Rebuild the shipped model", "Train on every
label we have": the default search), the same training with the settings it chose fixed
(--no-search: the baseline, one fit), and `tagger evaluate --cv 5` on the same labels;
--runs times each (--cv-runs for the cross-validation, 0 to skip it), interleaved so a
busy machine slows them alike. Prints medians of wall-clock and CPU time (of the command
and its worker processes) and the ratios to the baseline of the same run (target: the
search within 4x). With --old REV it also runs the code of that git
revision (exported to a temporary directory) the same way, prints the new/old ratios, and
checks that both give the same model files. Ratios matter more than seconds: the machine
is shared. The summary line: the search's median wall time against the fixed fit's.
--quick: the first 120 reference labels (with evidence) and 200 unlabelled articles, one
run, the search over n-grams and sentences alone (C and keyword window fixed) with 2 folds,
`evaluate --cv 2`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
from paired_cv import quick_data

REPO, SHARED = common.REPO, common.SHARED
DATA = [SHARED / "corpus" / "ukraine-2022.jsonl", SHARED / "corpus" / "economist-2023-2025.jsonl",
        REPO / "seeds"]
LABELS = [REPO / "labels" / name for name in (
    "reference-train.csv", "reference-train-evidence.jsonl", "seeds.csv", "seeds-evidence.jsonl",
    "economist-random.csv", "economist-random-evidence.jsonl")]
TAGS = REPO / "labels" / "tags.toml"
# the settings the shipped model's search chooses (models/ukraine-war/README.md)
FIXED = ["--C", "300", "--ngram-max", "1", "--keyword-window", "15", "--sentences", "--no-search"]
QUICK_SEARCH = ["--C", "300", "--keyword-window", "15", "--folds", "2"]


def inputs(data=DATA, labels=LABELS) -> list[str]:
    args = [a for d in data for a in ("--data", str(d))]
    args += [a for lf in labels for a in ("--labels", str(lf))]
    return args + ["--tags", str(TAGS)]


def cpu_seconds() -> float:
    """User and system time of the finished child processes (and theirs) so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(tree: Path, args: list[str]) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds of it and its workers) `tagger ARGS` takes with
    the code in ``tree``."""
    import site

    # -S (passed on to worker processes too): no .pth files, so not the editable install's
    # import hook, which would load this checkout's tagger whatever the path says
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree), *site.getsitepackages()])}
    cmd = [sys.executable, "-S", "-c", "from tagger.cli import main; main()", *args, "--quiet"]
    cpu, started = cpu_seconds(), time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True)  # -c: cwd first
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed ({tree}): {done.stderr.strip()[-500:]}")
    return time.perf_counter() - started, cpu_seconds() - cpu


def model_files(directory: Path) -> dict:
    """The model's files, its recorded command (which names the directory) left out."""
    meta = json.loads((directory / "model.json").read_text())
    meta.pop("command", None)
    return {"model.json": json.dumps(meta, sort_keys=True), "arrays.npz": (directory / "arrays.npz").read_bytes()}


def export(rev: str, into: Path) -> Path:
    into.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def measure(trees: dict, runs: int, cv_runs: int, jobs: list[str], work: Path,
            quick: bool = False) -> dict:
    times: dict = {}
    given, search, cv = inputs(), [], "5"
    if quick:
        corpus, labels, evidence = quick_data(work)
        given, search, cv = inputs([corpus], [labels, evidence]), QUICK_SEARCH, "2"
    for r in range(max(runs, cv_runs)):
        for name, tree in trees.items():
            for kind, extra in (("fixed", FIXED), ("search", search)):
                if r < runs:
                    out = work / f"{name}-{kind}"
                    t, cpu = run(tree, ["train", *given, *extra, *jobs, "--model", str(out)])
                    times.setdefault((name, kind), []).append(t)
                    times.setdefault((name, kind + " cpu"), []).append(cpu)
                    print(f"  {name} {kind}: {t:.1f} s ({cpu:.1f} s CPU)", file=sys.stderr, flush=True)
            if r < cv_runs:
                t, cpu = run(tree, ["evaluate", "--cv", cv, *given, *(FIXED if quick else []), *jobs])
                times.setdefault((name, "cv5"), []).append(t)
                times.setdefault((name, "cv5 cpu"), []).append(cpu)
                print(f"  {name} evaluate --cv 5: {t:.1f} s ({cpu:.1f} s CPU)", file=sys.stderr,
                      flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    for name in trees:  # the search against the fixed fit of the same round, as loads vary
        pairs = list(zip(times.get((name, "search"), []), times.get((name, "fixed"), [])))
        if pairs:
            med[(name, "round ratio")] = statistics.median(s / f for s, f in pairs)
    return med


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs of each training command")
    ap.add_argument("--cv-runs", type=int, default=1, help="runs of evaluate --cv 5 (0: none)")
    ap.add_argument("--old", help="also time this git revision (e.g. the commit before the change)")
    ap.add_argument("--jobs", type=int, help="--jobs for every command [default: theirs]")
    args = common.options(ap, "120 labels, one run, a small search, evaluate --cv 2").parse_args()
    if args.quick:
        args.runs, args.cv_runs = 1, 1
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    with tempfile.TemporaryDirectory(prefix="train-speed-") as tmp:
        work = Path(tmp)
        trees = {"new": REPO}
        if args.old:
            trees["old"] = export(args.old, (work / "old-tree").resolve())
        med = measure(trees, args.runs, args.cv_runs, jobs, work, args.quick)
        same = ({k: model_files(work / f"{k[0]}-{k[1]}") for k in [("new", "search"), ("old", "search")]}
                if args.old and args.runs else None)
    print(f"medians of {args.runs} runs (evaluate --cv 5: {args.cv_runs}), {os.cpu_count()} cores"
          + (f", --jobs {args.jobs}" if args.jobs else ""))
    for name in trees:
        base, base_cpu = med.get((name, "fixed")), med.get((name, "fixed cpu"))
        for kind, what in (("fixed", "one fit, settings fixed"), ("search", "train with the search"),
                           ("cv5", f"evaluate --cv {2 if args.quick else 5}")):
            if (name, kind) in med:
                wall, cpu = med[(name, kind)], med[(name, kind + " cpu")]
                ratio = (f"{wall / base:5.2f}x the fixed fit ({cpu / base_cpu:5.2f}x its CPU)"
                         if base else "")
                print(f"{name:>4} {what:<24} {wall:7.1f} s ({cpu:7.1f} s CPU)  {ratio}")
        if (name, "round ratio") in med:
            print(f"{name:>4} search / fixed fit of the same round, median: "
                  f"{med[(name, 'round ratio')]:.2f}x")
    if args.old:
        for kind in ("fixed", "search", "cv5"):
            if ("old", kind) in med:
                print(f"new/old {kind:<7} {med[('new', kind)] / med[('old', kind)]:.2f} "
                      f"(CPU {med[('new', kind + ' cpu')] / med[('old', kind + ' cpu')]:.2f})")
    if same is not None:
        equal = same[("new", "search")] == same[("old", "search")]
        print("searched models, new and old: " + ("the same files" if equal else "DIFFERENT files"))
    common.report(__file__, args, what="train with the search", figure=med[("new", "search")],
                  unit="s", baseline_what="one fit, settings fixed", baseline=med[("new", "fixed")],
                  target="search within 4x the fixed fit",
                  figures={"runs": args.runs, "cv_runs": args.cv_runs, "jobs": args.jobs,
                           "medians_seconds": {" ".join(k): v for k, v in med.items()}})


if __name__ == "__main__":
    main()
