"""Benchmarks that keep running: every script in benchmarks/ runs in its --quick mode (a
small input, one run) and prints its one summary line, so a change elsewhere cannot break
one silently; and the parts they share (the summary line, tag_memory's input) are checked."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import FIXTURE_ARTICLES, REPO

BENCHMARKS = REPO / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import common  # noqa: E402
import tag_memory  # noqa: E402

# Scripts that never read ../shared; every other one is marked `corpus` (so a new script
# is, until it is listed here).
NO_CORPUS = {"browse_speed", "hostile_models", "hostile_pages"}


def scripts() -> list:
    """Every benchmark script: the files of benchmarks/ run as programs (not the modules
    they share, common.py and paired_cv.py)."""
    return sorted(p for p in BENCHMARKS.glob("*.py")
                  if 'if __name__ == "__main__":' in p.read_text(encoding="utf-8"))


def quick_runs():
    for path in scripts():
        marks = [pytest.mark.slow] + ([] if path.stem in NO_CORPUS else [pytest.mark.corpus])
        yield pytest.param(path, marks=marks, id=path.stem)


def test_the_benchmark_scripts_are_found_and_the_shared_modules_are_not():
    names = {p.stem for p in scripts()}
    assert {"tag_speed", "tag_memory", "reuters", "temporal", "keyword_gain"} <= names
    assert not names & {"common", "paired_cv"}
    assert len(names) >= 17


def git_status() -> str:
    """New files anywhere in the repository, and changes where a benchmark could write (the
    plots of docs/, the saved runs, the shipped model and labels); not the files a person
    may be editing while the tests run."""
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--", ".",
                           ":(exclude)README.md", ":(exclude)docs/*.md", ":(exclude)*.py", ":(exclude)*.toml"],
                          cwd=REPO, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("script", list(quick_runs()))
def test_every_benchmark_runs_quick_and_prints_its_summary(script, tmp_path, request):
    if script.stem not in NO_CORPUS:
        request.getfixturevalue("shared_dir")  # fails in one line when ../shared is missing
    before = git_status()
    out = tmp_path / "summary.json"
    proc = subprocess.run([sys.executable, str(script), "--quick", "--json", str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{script.name} --quick failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    line = common.parse_summary(proc.stdout)
    assert line["name"] == script.stem
    assert line["figure"] == line["figure"] and line["baseline"] > 0  # not NaN, a real baseline
    record = json.loads(out.read_text(encoding="utf-8"))
    assert {k: record[k] for k in line} == line
    assert record["quick"] is True and record["date"].endswith("Z")
    assert record["machine"]["cores"] >= 1 and record["machine"]["cpu_model"]
    assert git_status() == before, f"{script.name} --quick wrote into the repository"


# -- what they share ---------------------------------------------------------------------------

def test_the_summary_line_has_one_form_and_reads_back():
    line = common.summary_line("tag_speed", "tagger tag per core", 1568.4, "docs/s",
                               "fastText predict per core", 1487, )
    assert line == ("summary tag_speed | tagger tag per core: 1568 docs/s | baseline fastText "
                    "predict per core: 1487 docs/s | ratio 1.055")
    assert common.parse_summary(f"some output\n{line}\nmore\n") == {
        "name": "tag_speed", "what": "tagger tag per core", "figure": 1568.0, "unit": "docs/s",
        "baseline_what": "fastText predict per core", "baseline": 1487.0, "ratio": 1.055}
    small = common.parse_summary(common.summary_line("x", "a", 0.0123, "F1", "b", 0.5))
    assert (small["figure"], small["ratio"]) == (0.0123, 0.025)
    with pytest.raises(KeyError):
        common.parse_summary("tagger tag: 1568 docs/s")
    with pytest.raises(ValueError):
        common.parse_summary(f"{line}\n{line}")
    with pytest.raises(ValueError):
        common.summary_line("x", "a | b", 1, "s", "c", 1)


def test_the_json_names_the_run_and_the_machine(tmp_path):
    args = type("Args", (), {"json": tmp_path / "r" / "x.json", "quick": False, "note": "shared"})()
    common.report("benchmarks/x.py", args, what="a", figure=3.0, unit="s", baseline_what="b",
                  baseline=2.0, target="ratio <= 2", figures={"runs": [3.0, 3.1]})
    record = json.loads(args.json.read_text())
    assert record["name"] == "x" and record["ratio"] == 1.5 and record["note"] == "shared"
    assert record["figures"] == {"runs": [3.0, 3.1]} and record["target"] == "ratio <= 2"
    assert set(record["machine"]) >= {"cores", "cpu_model", "load_average_1_5_15_min"}
    assert record["commit"] and record["command"].startswith("python benchmarks/x.py")


def ids(path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def test_tag_memorys_input_repeats_the_corpus_under_new_ids(tmp_path):
    source = ids(FIXTURE_ARTICLES)
    n = 3 * len(source) + 5
    out = tmp_path / "in.jsonl"
    assert tag_memory.write_repeated(out, n, source=FIXTURE_ARTICLES) == n
    written = ids(out)
    assert len(written) == n and len(set(written)) == n
    assert written[:len(source)] == source and written[len(source)] == f"{source[0]}~1"
    first = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {**first[len(source)], "id": source[0]} == first[0]  # a copy, but for its id
    assert ids(tmp_path / "in.jsonl")[:3] == ids(FIXTURE_ARTICLES)[:3]
    tag_memory.write_repeated(out, 7, source=FIXTURE_ARTICLES, first=2)
    assert ids(out) == [*source[:2], *(f"{i}~{r}" for r in (1, 2) for i in source[:2]), f"{source[0]}~3"]


def test_tag_memorys_input_refuses_an_id_given_twice(tmp_path):
    lines = FIXTURE_ARTICLES.read_text(encoding="utf-8").splitlines()
    source = tmp_path / "twice.jsonl"
    source.write_text("\n".join([*lines[:3], lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="given twice"):
        tag_memory.write_repeated(tmp_path / "in.jsonl", 10, source=source)
