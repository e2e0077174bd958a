"""Peak memory of `tagger tag` as the input grows tenfold.

    python benchmarks/tag_memory.py [--small 20000] [--factor 10] [--runs 3]

Writes the reference corpus repeated to --small documents and to --small x --factor
documents (temporary files, never in the repo), runs `tagger tag` on each as a user would,
and samples the resident memory of its whole process tree (the command and its worker
processes) every 20 ms with psutil. Prints the median peak of each and their ratio;
streaming in chunks should keep the ratio near 1 (target: at most 1.5).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "ukraine-2022.jsonl"


def write_repeated(path: Path, n: int) -> None:
    lines = CORPUS.read_bytes().splitlines(keepends=True)
    with path.open("wb") as fh:
        for line in itertools.islice(itertools.cycle(lines), n):
            fh.write(line)


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
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "tagger")
    sizes = [args.small, args.small * args.factor]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        peaks = {n: [] for n in sizes}
        for n in sizes:
            write_repeated(tmp / f"in-{n}.jsonl", n)
        for _ in range(args.runs):
            for n in sizes:
                out = tmp / f"out-{n}.jsonl"
                out.unlink(missing_ok=True)
                mib, secs = peak_tree_rss([exe, "tag", str(tmp / f"in-{n}.jsonl"), "--out", str(out), "--quiet"])
                peaks[n].append(mib)
                print(f"{n:>8} documents: peak {mib:7.1f} MiB in {secs:5.1f}s", flush=True)
    small, large = (statistics.median(peaks[n]) for n in sizes)
    print(f"median peak: {sizes[0]} docs {small:.1f} MiB, {sizes[1]} docs {large:.1f} MiB")
    print(f"ratio {large / small:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
