"""Peak memory of `tagger tag` as the input grows tenfold.

    python benchmarks/tag_memory.py [--small 20000] [--factor 10] [--runs 3] [--quick] [--json PATH]

Writes the reference corpus repeated to --small documents and to --small x --factor
documents (temporary files, never in the repo; every copy after the first under new ids,
`ID~1`, `ID~2`, ..., since `tagger tag` rightly refuses an id given twice), runs
`tagger tag` on each as a user would, and samples the resident memory of its whole process
tree (the command and its worker processes) every 20 ms with psutil. Prints the median
peak of each and their ratio; streaming in chunks should keep the ratio near 1 (target: at
most 1.5). --quick: the corpus's first 100 articles repeated to 300 and 900, one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

import common

CORPUS = common.SHARED / "corpus" / "ukraine-2022.jsonl"
TARGET = 1.5


def write_repeated(path: Path, n: int, source: Path = CORPUS, first: int | None = None) -> int:
    """Write ``n`` documents to ``path``: the first ``first`` records of ``source`` (all of
    them by default) over and over, each copy after the first with its ids suffixed `~R`.
    Refuses a source with an id given twice, and checks that every id written is new."""
    with source.open(encoding="utf-8") as fh:
        records = [json.loads(line) for line, _ in zip(fh, range(first or sys.maxsize))]
    seen: set[str] = set()
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            copy, k = divmod(i, len(records))
            record = records[k] if copy == 0 else {**records[k], "id": f"{records[k]['id']}~{copy}"}
            if record["id"] in seen:
                raise ValueError(f"{source}: id {record['id']!r} given twice")
            seen.add(record["id"])
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return n


def peak_tree_rss(cmd: list[str]) -> tuple[float, float]:
    """(peak MiB of the summed RSS of the process tree, seconds)."""
    started = time.perf_counter()
    proc = psutil.Popen(cmd)
    peak = 0
    while proc.poll() is None:
        try:
            procs = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed with exit code {proc.returncode}")
    return peak / 2**20, time.perf_counter() - started


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=int, default=20000)
    ap.add_argument("--factor", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    args = common.options(ap, "the first 100 articles repeated to 300 and 900").parse_args()
    first = None
    if args.quick:
        first, args.small, args.factor, args.runs = 100, 300, 3, 1
    exe = str(Path(sys.executable).parent / "tagger")
    sizes = [args.small, args.small * args.factor]
    peaks, seconds = {n: [] for n in sizes}, {n: [] for n in sizes}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in sizes:
            write_repeated(tmp / f"in-{n}.jsonl", n, first=first)
        for _ in range(args.runs):
            for n in sizes:
                out = tmp / f"out-{n}.jsonl"
                out.unlink(missing_ok=True)
                mib, secs = peak_tree_rss([exe, "tag", str(tmp / f"in-{n}.jsonl"), "--out", str(out), "--quiet"])
                peaks[n].append(mib)
                seconds[n].append(secs)
                print(f"{n:>8} documents: peak {mib:7.1f} MiB in {secs:5.1f}s", flush=True)
    small, large = (statistics.median(peaks[n]) for n in sizes)
    print(f"median peak: {sizes[0]} docs {small:.1f} MiB, {sizes[1]} docs {large:.1f} MiB")
    print(f"ratio {large / small:.2f} (target <= {TARGET})")
    common.report(__file__, args, what=f"peak RSS at {sizes[1]} docs", figure=large, unit="MiB",
                  baseline_what=f"peak RSS at {sizes[0]} docs", baseline=small,
                  target=f"ratio <= {TARGET}",
                  figures={"runs": args.runs, "documents": sizes,
                           "peak_mib": {str(n): peaks[n] for n in sizes},
                           "seconds": {str(n): seconds[n] for n in sizes},
                           "median_peak_mib": {str(sizes[0]): small, str(sizes[1]): large},
                           "jobs": "tagger tag's default: every usable core"})


if __name__ == "__main__":
    main()
