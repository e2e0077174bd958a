"""`tagger browse` speed: the front page (counts, weekly chart, runs) of a 20,000-article
archive, served by a real `tagger browse`, must answer within 200 ms (median).

    python benchmarks/browse_speed.py [--docs 20000] [--requests 15] [--quick] [--json PATH]

Builds the archive in a temporary directory (never in the repo) in the agreed SQLite
layout (tests/archives.py) from the fixture articles (the project's own synthetic text),
repeated under new ids, each lengthened to about 4,400 characters (the reference corpus's
mean) and dated over 700 days (100 weeks: the weekly chart, its largest). Then times,
over HTTP, the front page, a tag's list, a search, an article and the CSV of a tag;
prints each median and exits 1 when the front page's is over the bound. --quick: 2,000
articles, 5 requests each, the bound not held to (a few requests say little about time).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import common

REPO = common.REPO
sys.path.insert(0, str(REPO / "tests"))
BOUND_MS = 200
TAGGER = Path(sys.executable).parent / "tagger"


def build(path: Path, n: int) -> None:
    from archives import FIXTURE_TAGS, fixture_docs, make_archive

    copies = -(-n // 48)
    docs = fixture_docs(copies, days=700 / (copies * 48), pad=4400)[:n]
    runs = [{"finished": f"2023-{m:02d}-01T06:00:00Z", "documents": n // 12,
             "drift": {"warning": m % 5 == 0, "reasons": ["words unseen"] if m % 5 == 0 else []}}
            for m in range(1, 13)]
    make_archive(path, docs, FIXTURE_TAGS, runs=runs)


def timed(url: str, requests: int) -> float:
    """Median milliseconds of ``requests`` GETs of ``url`` (after one to warm up)."""
    urllib.request.urlopen(url, timeout=60).read()
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as r:
            r.read()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=15)
    args = common.options(parser, "2,000 articles, 5 requests").parse_args()
    n, requests = (2_000, 5) if args.quick else (args.docs, args.requests)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "archive.sqlite"
        start = time.perf_counter()
        build(path, n)
        print(f"archive: {n} articles, {path.stat().st_size / 2**20:.0f} MB, built in "
              f"{time.perf_counter() - start:.1f} s")
        server = subprocess.Popen([str(TAGGER), "browse", str(path), "--port", "0",
                                   "--no-token"], stdout=subprocess.PIPE, text=True)
        try:
            server.stdout.readline()
            base = server.stdout.readline().split()[1].rstrip("/")
            pages = {"front page": "/", "a tag's list": "/list?tag=air_defence_aid",
                     "a search": "/list?q=air+defence", "an article": "/doc/fx010-0",
                     "CSV of a tag": "/export.csv?tag=missile_strikes"}
            medians = {name: timed(base + url, requests) for name, url in pages.items()}
        finally:
            server.terminate()
            server.wait()
    for name, ms in medians.items():
        print(f"{name:>14}: {ms:7.1f} ms (median of {requests})")
    ok = medians["front page"] <= BOUND_MS
    print(f"front page {'within' if ok else 'OVER'} {BOUND_MS} ms")
    common.report(__file__, args, what=f"front page of {n} articles", figure=medians["front page"],
                  unit="ms", baseline_what="the bound", baseline=BOUND_MS,
                  target=f"front page <= {BOUND_MS} ms",
                  figures={"articles": n, "requests": requests, "median_ms": medians})
    return 0 if ok or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
