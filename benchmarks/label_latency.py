"""How long an annotator waits in `tagger label`: from Enter to the next article on screen.

    python benchmarks/label_latency.py [--decisions 60] [--no-retrain] [--quick] [--json PATH]

Starts `tagger label` (a subprocess, as a user runs it) on the Economist corpus with the
shipped model, in a temporary directory, and times over HTTP, in one run:
  (a) saving a decision (POST /api/decide: checked, committed to SQLite with a full sync,
      and the tab's next article claimed),
  (b) rendering the next article's page (GET /: scoring it with the model, splitting its
      sentences, the template),
  (c) the baseline: fetching the page's stylesheet (GET /static/label.css), the server's
      and HTTP's own cost with no work behind it;
  (d) going back: the history (GET /api/history, 30 decisions), reopening one of them by
      id (POST /api/open, then GET /doc/ID, in another tab), opening an article never shown
      (scored afresh), and a search of two words over the corpus (GET /api/search).
Prints the median milliseconds of each (and of a + b, what a person waits for) and their
ratios to (c). The browser's own layout adds a few milliseconds that this leaves out.

Then the suggest queue's background retraining: the first --retrain-labels reference labels
(with their evidence) trained with the shipped model's settings and no search, as the queue
does, against `tagger train`'s default search on the same labels (medians of --runs).
The summary line: Enter to the next article against the stylesheet. --quick: 5 decisions, no
retraining (a minute even on 60 labels).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import common

REPO = common.REPO
sys.path.insert(0, str(REPO / "tests"))
CORPUS = common.SHARED / "corpus" / "economist-2023-2025.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=60)
    parser.add_argument("--retrain-labels", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--prefill", type=int, default=0,
                        help="Decisions already in the database before the run (another "
                             "annotator's, on articles of another corpus): a log in use.")
    parser.add_argument("--no-retrain", action="store_true",
                        help="Leave out the retraining timings (minutes).")
    args = common.options(parser, "5 decisions, no retraining").parse_args()
    if args.quick:
        args.decisions, args.no_retrain = 5, True
    with tempfile.TemporaryDirectory() as tmp:
        prefill(f"{tmp}/labels.db", args.prefill)
        medians = run(args, tmp)
    figures = {"decisions": args.decisions, "prefill": args.prefill, "median_ms": medians}
    if not args.no_retrain:
        figures["retrain_seconds"] = retrain(args.retrain_labels, args.runs)
        figures["retrain_labels"] = args.retrain_labels
    common.report(__file__, args, what="Enter to next article",
                  figure=medians["Enter to next article (both)"], unit="ms",
                  baseline_what="the stylesheet", baseline=medians["baseline: the stylesheet"],
                  figures=figures)


def prefill(path: str, n: int) -> None:
    """``n`` saved decisions of annotator 'past', one each on ids no corpus article has."""
    from tagger.labels.database import Decision, LabelDB

    db = LabelDB(path)
    with db.transaction() as con:
        for i in range(n):
            db.add(Decision(doc_id=f"past-{i:06d}", annotator="past", answer="saved",
                            tags=("missile_strikes",), no_evidence=("missile_strikes",)), con)


def run(args, tmp: str) -> dict:
    import urllib.request

    from labelserver import LabelServer, request

    with LabelServer(
            "--data", str(CORPUS), "--db", f"{tmp}/labels.db",
            "--tags", str(REPO / "labels" / "tags.toml"), "--annotator", "bench",
            "--no-token") as server:  # the server's latency: no cookie to carry
        def timed(fn):
            t = time.perf_counter()
            out = fn()
            return (time.perf_counter() - t) * 1000, out

        def get(path):
            with urllib.request.urlopen(server.base + path, timeout=30) as r:
                return r.read().decode()

        csrf = re.search(r'name="csrf" content="([^"]+)"', get("/?annotator=bench")).group(1)

        def post(path, **body):  # claims and decisions are POSTs for a tab the server issued
            status, out = request(server.base + path, {"annotator": "bench", **body},
                                  {"X-CSRF-Token": csrf})
            assert status == 200, out
            return out

        tab = post("/api/tab")["tab"]
        post("/api/next", tab=tab)
        html = get(f"/?tab={tab}&annotator=bench")
        save, render, baseline, decided = [], [], [], []
        for _ in range(args.decisions):
            doc_id = re.search(r'id="doc" data-id="([^"]+)"', html).group(1)
            ms, (status, _) = timed(lambda: request(
                server.base + "/api/decide", {"tab": tab, "annotator": "bench", "id": doc_id,
                                              "none": True}, {"X-CSRF-Token": csrf}))
            assert status == 200
            decided.append(doc_id)
            save.append(ms)
            ms, html = timed(lambda: get(f"/?tab={tab}&annotator=bench"))
            render.append(ms)
            baseline.append(timed(lambda: get("/static/label.css"))[0])
        back = going_back(get, post, timed, decided, args.decisions)
    base = statistics.median(baseline)
    rows = [("save a decision", save), ("render the next article", render),
            ("Enter to next article (both)", [a + b for a, b in zip(save, render)]),
            *back, ("baseline: the stylesheet", baseline)]
    print(f"{args.decisions} decisions on {CORPUS.name} with the shipped model, "
          f"{args.prefill} decisions in the database before (medians)")
    for name, values in rows:
        m = statistics.median(values)
        print(f"  {name:<36} {m:7.1f} ms  {m / base:6.1f}x baseline")
    return {name: statistics.median(values) for name, values in rows}


def going_back(get, post, timed, decided: list, n: int) -> list:
    """The history, reopening decided articles by id, opening unseen ones, searching."""
    import json
    from urllib.parse import quote

    from tagger import read_documents

    unseen = [d.id for d in read_documents([CORPUS])][-n:]  # the queue reaches none of them
    history, reopen, fresh, search = [], [], [], []
    tab2, tab3 = post("/api/tab")["tab"], post("/api/tab")["tab"]

    def opened(tab, doc_id):  # what the page does: the claim by POST, then the page
        post("/api/open", tab=tab, id=doc_id)
        return get(f"/doc/{quote(doc_id, safe='')}?tab={tab}&annotator=bench")

    for i in range(n):
        ms, body = timed(lambda: get("/api/history?annotator=bench&limit=30"))
        assert len(json.loads(body)["decisions"]) == min(30, len(decided))
        history.append(ms)
        doc_id = decided[-1 - i % 30]
        reopen.append(timed(lambda: opened(tab2, doc_id))[0])
        fresh.append(timed(lambda: opened(tab3, unseen[i]))[0])
        words = ("ukraine missile", "energy grid", "air defence", "kremlin warns")[i % 4]
        search.append(timed(lambda: get(f"/api/search?q={quote(words)}&annotator=bench"))[0])
    return [("history (30 decisions)", history), ("reopen a decision by id", reopen),
            ("open an unseen article by id", fresh), ("search two words", search)]


def retrain(n: int, runs: int) -> dict:
    from tagger import attach_labels, load_model, load_schema, read_documents, train
    from tagger.labels.attach import labelled

    schema = load_schema(REPO / "labels" / "tags.toml")
    docs = labelled(attach_labels(
        read_documents([REPO.parent / "shared" / "corpus" / "ukraine-2022.jsonl"]),
        [REPO / "labels" / "reference-train.csv", REPO / "labels" / "reference-train-evidence.jsonl"],
        known_tags=schema.ids))[:n]
    settings = load_model().settings
    times = {"no search (the queue)": [], "default search (tagger train)": []}
    for _ in range(runs):
        for name, search in (("no search (the queue)", None), ("default search (tagger train)", True)):
            t = time.perf_counter()
            train(docs, schema=schema, settings=settings, search=search)
            times[name].append(time.perf_counter() - t)
    base = statistics.median(times["default search (tagger train)"])
    print(f"retraining on {len(docs)} labels with the shipped model's settings (medians of {runs})")
    for name, values in times.items():
        m = statistics.median(values)
        print(f"  {name:<30} {m:7.1f} s   {m / base:6.2f}x the search")
    return {name: statistics.median(values) for name, values in times.items()}


if __name__ == "__main__":
    main()
