"""Tagging speed: documents per second for `tagger tag` against scikit-learn and fastText.

    python benchmarks/tag_speed.py [--repeat 5] [--runs 3] [--jobs N] [--quick] [--json PATH]

Builds the reference corpus repeated --repeat times (about 20,000 articles, 88 MB; copies
under new ids) in a temporary directory (never in the repo), then in one run, --runs times
each, interleaved so a busy machine slows them alike:
  (a) `tagger tag` as a user runs it (a subprocess: reading, tagging, writing JSONL), with
      --jobs worker processes (default: what `tagger tag` chooses, every usable core);
  (b) a plain scikit-learn Pipeline (TfidfVectorizer + OneVsRest logistic regression with
      the shipped model's settings) calling predict_proba on the texts held in memory
      (one core);
  (c) fastText (pip install fasttext-numpy2) trained on the same labels, predicting all
      labels with model.predict on the texts held in memory (one thread: its Python
      predict is single-threaded);
  (d) `tagger tag` writing a SQLite archive (`--out x.sqlite`) instead of JSONL (issue 23:
      within 1.3x of JSONL's time).
(b) and (c) get their texts for free; (a) pays for reading and writing files, and starts
from the package's compiled bytecode, as an installed package does (pip compiles it; this
compiles it first, where PYTHONDONTWRITEBYTECODE would have every run compile it again).
Prints the median documents per second of each, on the whole machine and per core used (the fair
comparison across machines: a tool on two cores against one on one moves with the
machine), and per CPU-second (the CPU time of the tool's processes, which a machine busy
with other work changes less than the wall clock), with the ratios of (a) to the others;
and (d)'s time over (a)'s, the median of the runs' ratios. --quick: 400 documents, one run.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

CORPUS = common.SHARED / "corpus" / "ukraine-2022.jsonl"
LABELS = common.REPO / "labels" / "reference-train.csv"
MODEL = common.REPO / "models" / "ukraine-war"
SQLITE_TARGET = 1.3


def load():
    docs = [json.loads(line) for line in CORPUS.open(encoding="utf-8")]
    with LABELS.open(encoding="utf-8") as fh:
        labels = {r["id"]: [t for t in r["tags"].split(";") if t] for r in csv.DictReader(fh)}
    return docs, labels


def content(d):
    return f"{d['title']}\n{d['text']}" if d.get("title") else d["text"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_tagger(data: Path, out: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its workers) of one `tagger tag`."""
    exe = Path(sys.executable).parent / "tagger"
    cmd = [str(exe), "tag", str(data), "--out", str(out), "--quiet", "--model", str(MODEL),
           "--jobs", str(jobs)]
    out.unlink(missing_ok=True)
    cpu, t = children_cpu(), time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t, children_cpu() - cpu


def in_process(work) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of ``work()``."""
    cpu, t = time.process_time(), time.perf_counter()
    work()
    return time.perf_counter() - t, time.process_time() - cpu


def fitted_tools(docs, labels, model, work: Path, epochs: int):
    """The scikit-learn pipeline and the fastText model, trained on the labelled articles."""
    import fasttext
    from sklearn.preprocessing import MultiLabelBinarizer

    from tagger.model.train import make_pipeline

    train_docs = [d for d in docs if d["id"] in labels]
    Y = MultiLabelBinarizer(classes=model.tags).fit_transform([labels[d["id"]] for d in train_docs])
    pipe = make_pipeline(model.settings).fit([content(d) for d in train_docs], Y)
    ft_train = work / "ft-train.txt"
    with ft_train.open("w", encoding="utf-8") as fh:
        for d in train_docs:
            tags = " ".join(f"__label__{t}" for t in labels[d["id"]]) or "__label__none"
            fh.write(f"{tags} {' '.join(content(d).lower().split())}\n")
    ft = fasttext.train_supervised(str(ft_train), loss="ova", wordNgrams=2, epoch=epochs,
                                   dim=100, thread=1, seed=0, verbose=0)
    return pipe, ft


def measure(big, pipe, ft, work: Path, runs: int, jobs: int) -> dict:
    """Documents a second of wall-clock and of CPU time, of every run of each tool."""
    data = work / "corpus-x.jsonl"
    with data.open("w", encoding="utf-8") as fh:
        for d in big:
            fh.write(json.dumps({"id": d["id"], "title": d["title"], "text": d["text"]}) + "\n")
    texts = [content(d) for d in big]
    ft_texts = [" ".join(t.lower().split()) for t in texts]  # fastText wants one line each
    n = len(texts)
    tools = {"tagger tag": lambda: bench_tagger(data, work / "out.jsonl", jobs),
             "tagger tag --out x.sqlite": lambda: bench_tagger(data, work / "out.sqlite", jobs),
             "sklearn predict_proba": lambda: in_process(lambda: pipe.predict_proba(texts)),
             "fastText predict": lambda: in_process(lambda: ft.predict(ft_texts, k=-1, threshold=0.5))}
    res = {k: {"docs_per_s": [], "docs_per_cpu_s": []} for k in tools}
    for _ in range(runs):
        for name, tool in tools.items():
            wall, cpu = tool()
            res[name]["docs_per_s"].append(n / wall)
            res[name]["docs_per_cpu_s"].append(n / cpu)
    lines = sum(1 for _ in (work / "out.jsonl").open())
    assert lines == n, f"tagger tag wrote {lines} records for {n} documents"
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None, help="--jobs for tagger tag")
    args = common.options(ap, "the first 200 articles twice, one run").parse_args()
    from tagger import load_model
    from tagger.batch.run import default_jobs

    import compileall

    import tagger

    compileall.compile_dir(Path(tagger.__file__).parent, quiet=1)
    first, epochs = (200, 5) if args.quick else (None, 25)
    if args.quick:
        args.repeat, args.runs = 2, 1
    docs, labels = load()
    model = load_model(MODEL)
    big = [dict(d, id=f"{d['id']}~{r}" if r else d["id"]) for r in range(args.repeat)
           for d in docs[:first]]
    n = len(big)
    mb = sum(len(content(d).encode()) for d in big) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pipe, ft = fitted_tools(docs, labels, model, work, epochs)
        (work / "sized.jsonl").write_bytes(b"x" * int(mb * 1e6))  # what tagger tag sizes
        jobs = args.jobs or default_jobs([work / "sized.jsonl"])
        print(f"{n} documents, {mb:.0f} MB of text; {common.machine()['cores']} cores; "
              f"{args.runs} runs each", flush=True)
        res = measure(big, pipe, ft, work, args.runs, jobs)
    cores = {"tagger tag": jobs, "sklearn predict_proba": 1, "fastText predict": 1,
             "tagger tag --out x.sqlite": jobs}
    rows = {}
    for k, c in cores.items():
        wall, cpu = (statistics.median(res[k][m]) for m in ("docs_per_s", "docs_per_cpu_s"))
        rows[k] = {"cores": c, "docs_per_s": wall, "docs_per_s_per_core": wall / c,
                   "docs_per_cpu_s": cpu, "runs": res[k]}
        print(f"{k:26s} {c} core(s)  median {wall:8,.0f} docs/s, {wall / c:8,.0f} per core, "
              f"{cpu:8,.0f} per CPU-second   runs: {', '.join(f'{x:,.0f}' for x in res[k]['docs_per_s'])}")
    a = rows["tagger tag"]
    for other in ("sklearn predict_proba", "fastText predict"):
        b = rows[other]
        print(f"tagger tag / {other:22s} = {a['docs_per_s'] / b['docs_per_s']:.2f}x whole machine, "
              f"{a['docs_per_s_per_core'] / b['docs_per_s_per_core']:.2f}x per core, "
              f"{a['docs_per_cpu_s'] / b['docs_per_cpu_s']:.2f}x per CPU-second")
    # time of --out x.sqlite over --out x.jsonl, run by run (a busy machine slows a round alike)
    rounds = [j / q for j, q in zip(res["tagger tag"]["docs_per_s"],
                                    res["tagger tag --out x.sqlite"]["docs_per_s"])]
    slower = statistics.median(rounds)
    print(f"--out x.sqlite takes {slower:.2f}x the time of --out x.jsonl, median of the runs' "
          f"ratios {', '.join(f'{r:.2f}' for r in rounds)} (target <= {SQLITE_TARGET})")
    common.report(__file__, args, what="tagger tag per core", figure=a["docs_per_s_per_core"],
                  unit="docs/s", baseline_what="fastText predict per core",
                  baseline=rows["fastText predict"]["docs_per_s_per_core"],
                  target=f"sqlite/jsonl time <= {SQLITE_TARGET}",
                  figures={"documents": n, "megabytes": round(mb, 1), "runs": args.runs,
                           "tools": rows, "sqlite_time_over_jsonl": slower,
                           "sqlite_time_over_jsonl_per_run": rounds})


if __name__ == "__main__":
    main()
