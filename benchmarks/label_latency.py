"""How long an annotator waits in `tagger label`: from Enter to the next article on screen.

    python benchmarks/label_latency.py [--decisions 60]

Starts `tagger label` (a subprocess, as a user runs it) on the Economist corpus with the
shipped model, in a temporary directory, and times over HTTP, in one run:
  (a) saving a decision (POST /api/decide: checked, committed to SQLite with a full sync),
  (b) rendering the next article's page (GET /: claiming it, scoring it with the model,
      splitting its sentences, the template),
  (c) the baseline: fetching the page's stylesheet (GET /static/label.css), the server's
      and HTTP's own cost with no work behind it.
Prints the median milliseconds of each (and of a + b, what a person waits for) and their
ratios to (c). The browser's own layout adds a few milliseconds that this leaves out.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
CORPUS = REPO.parent / "shared" / "corpus" / "economist-2023-2025.jsonl"


def main() -> None:
    import urllib.request

    from labelserver import LabelServer, request

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LabelServer(
            "--data", str(CORPUS), "--db", f"{tmp}/labels.db",
            "--tags", str(REPO / "labels" / "tags.toml"), "--annotator", "bench") as server:
        def timed(fn):
            t = time.perf_counter()
            out = fn()
            return (time.perf_counter() - t) * 1000, out

        def get(path):
            with urllib.request.urlopen(server.base + path, timeout=30) as r:
                return r.read().decode()

        tab = "bench-tab-0001"
        html = get(f"/?tab={tab}&annotator=bench")
        csrf = re.search(r'name="csrf" content="([^"]+)"', html).group(1)
        save, render, baseline = [], [], []
        for _ in range(args.decisions):
            doc_id = re.search(r'id="doc" data-id="([^"]+)"', html).group(1)
            ms, (status, _) = timed(lambda: request(
                server.base + "/api/decide", {"tab": tab, "annotator": "bench", "id": doc_id,
                                              "none": True}, {"X-CSRF-Token": csrf}))
            assert status == 200
            save.append(ms)
            ms, html = timed(lambda: get(f"/?tab={tab}&annotator=bench"))
            render.append(ms)
            baseline.append(timed(lambda: get("/static/label.css"))[0])
    base = statistics.median(baseline)
    rows = [("save a decision", save), ("render the next article", render),
            ("Enter to next article (both)", [a + b for a, b in zip(save, render)]),
            ("baseline: the stylesheet", baseline)]
    print(f"{args.decisions} decisions on {CORPUS.name} with the shipped model (medians)")
    for name, values in rows:
        m = statistics.median(values)
        print(f"  {name:<30} {m:7.1f} ms  {m / base:6.1f}x baseline")


if __name__ == "__main__":
    main()
