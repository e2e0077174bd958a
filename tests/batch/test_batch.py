"""Batch tagging: same results as predict, any --jobs, formats, skips, resumption, Dask."""

import itertools
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import SEEDS, SHIPPED_MODEL, TAGS, kill_9_after_parts
from tagger import batch, load_model, read_documents
from tagger.cli import main

TAGGER = str(Path(sys.executable).parent / "tagger")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def sample_jsonl(tmp_path_factory, corpus_path):
    """600 reference articles (kept in a temp dir, never in the repo)."""
    out = tmp_path_factory.mktemp("batch") / "sample.jsonl"
    with corpus_path.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for line in itertools.islice(src, 600):
            dst.write(line)
    return out


def read_jsonl(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def test_tag_gives_the_same_results_as_predict(sample_jsonl, tmp_path):
    out = tmp_path / "tags.jsonl"
    result = run("tag", sample_jsonl, SEEDS, "--out", out, "--batch-size", "128", "-j", "1")
    assert result.exit_code == 0, result.output
    predicted = json.loads(run("predict", sample_jsonl, SEEDS, "-f", "json").stdout)
    assert read_jsonl(out) == predicted
    assert len(predicted) == 603 and any(r["missile_strikes"] for r in predicted)


def test_output_does_not_depend_on_the_number_of_jobs(sample_jsonl, tmp_path):
    outs = []
    for jobs in ("1", "2", "3"):
        out = tmp_path / f"j{jobs}.jsonl"
        assert run("tag", sample_jsonl, "--out", out, "-j", jobs, "--batch-size", "50").exit_code == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    assert not list(tmp_path.glob("*.parts"))


def test_csv_and_parquet_outputs_hold_the_records_of_jsonl(sample_jsonl, tmp_path):
    assert run("tag", sample_jsonl, "--out", tmp_path / "t.jsonl", "-j", "1").exit_code == 0
    reference = read_jsonl(tmp_path / "t.jsonl")
    assert run("tag", sample_jsonl, "--out", tmp_path / "t.csv", "-j", "2").exit_code == 0
    assert run("tag", sample_jsonl, "--out", tmp_path / "t.parquet", "-j", "2").exit_code == 0
    as_csv = pd.read_csv(tmp_path / "t.csv", keep_default_na=False, dtype={"id": str, "date": str})
    as_parquet = pd.read_parquet(tmp_path / "t.parquet")
    columns = list(reference[0])
    scores = [f"{t}_score" for t in TAGS]
    for frame in (as_csv, as_parquet):
        assert list(frame.columns) == columns
        assert [str(d) for d in frame["date"]] == [r["date"] for r in reference]
        assert list(frame["id"]) == [r["id"] for r in reference]
        assert frame[TAGS].to_numpy().tolist() == [[r[t] for t in TAGS] for r in reference]
        assert frame[scores].to_numpy().tolist() == [[r[s] for s in scores] for r in reference]
        for row, r in zip(frame.to_dict("records"), reference):
            for t in TAGS:
                given = row[f"{t}_evidence"]
                assert (given if isinstance(given, str) and given else None) == r[f"{t}_evidence"]
                if r[f"{t}_evidence"]:
                    assert [int(row[f"{t}_start"]), int(row[f"{t}_end"])] == \
                        [r[f"{t}_start"], r[f"{t}_end"]]


def test_bad_documents_are_skipped_listed_and_reported_by_exit_code(tmp_path):
    docs = tmp_path / "in"
    docs.mkdir()
    (docs / "good.txt").write_text((SEEDS / "004_40f943de2ae17bec.txt").read_text())
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (docs / "more.jsonl").write_text('{"id": "j1", "text": "Missiles hit Kyiv."}\n{"id": "j2", "tex\n')
    out = tmp_path / "out.jsonl"
    result = run("tag", docs, "--out", out, "-j", "2", "--batch-size", "2")
    assert result.exit_code == 3, result.output
    assert [r["id"] for r in read_jsonl(out)] == ["good", "j1"]
    errors = read_jsonl(str(out) + ".errors.jsonl")
    assert [(e["id"], e["reason"].split(" (")[0]) for e in errors] == [
        ("binary", "is a binary file, not text"), ("empty", "is empty"),
        ("more.jsonl:2", "malformed JSON")]
    assert errors[2]["source"].endswith("more.jsonl:2")
    assert "2 documents tagged" in result.output and "3 skipped" in result.output


def test_interrupted_run_resumes_and_writes_every_document_once(sample_jsonl, tmp_path, monkeypatch):
    out = tmp_path / "out.jsonl"
    model_dir = SHIPPED_MODEL
    calls = {"n": 0}
    from tagger.batch import engines

    real = engines.tag_chunk

    def dies_on_the_fourth_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(engines, "tag_chunk", dies_on_the_fourth_chunk)
    with pytest.raises(KeyboardInterrupt):
        batch.tag_files([sample_jsonl], out, model_dir=model_dir, batch_size=100, jobs=1)
    assert not out.exists()
    assert len(list((tmp_path / "out.jsonl.parts").glob("*.done"))) == 3
    monkeypatch.setattr(engines, "tag_chunk", real)
    summary = batch.tag_files([sample_jsonl], out, model_dir=model_dir, batch_size=100, jobs=1)
    assert summary.resumed_chunks == 3 and summary.documents == 600
    ids = [r["id"] for r in read_jsonl(out)]
    assert len(ids) == len(set(ids)) == 600
    clean = tmp_path / "clean.jsonl"
    batch.tag_files([sample_jsonl], clean, model_dir=model_dir, batch_size=100, jobs=1)
    assert out.read_bytes() == clean.read_bytes()


@pytest.mark.slow
def test_kill_9_then_the_same_command_finishes_the_job(corpus_path, tmp_path):
    data = tmp_path / "big.jsonl"
    data.write_bytes(corpus_path.read_bytes() * 2)
    out = tmp_path / "out.jsonl"
    cmd = [TAGGER, "tag", str(data), "--out", str(out), "--batch-size", "200", "-j", "2", "--quiet",
           "--duplicates", "keep"]  # the file holds each article twice
    parts = tmp_path / "out.jsonl.parts"
    committed = kill_9_after_parts(cmd, parts)
    assert 3 <= committed < 41 and not out.exists()
    subprocess.run(cmd, check=True)
    ids = [r["id"] for r in read_jsonl(out)]
    assert len(ids) == 8126 and len(set(ids)) == 4063  # the file holds each article twice
    assert not parts.exists()


def test_a_changed_command_starts_afresh(sample_jsonl, tmp_path):
    out = tmp_path / "o.jsonl"
    parts = tmp_path / "o.jsonl.parts"
    parts.mkdir()
    (parts / "manifest.json").write_text('{"something": "else"}')
    (parts / "part-000000000.done").write_text('{"documents": 1, "tagged": 0, "bytes": 0, "skipped": []}')
    summary = batch.tag_files([sample_jsonl], out, model_dir=SHIPPED_MODEL, batch_size=100, jobs=1)
    assert summary.resumed_chunks == 0 and len(read_jsonl(out)) == 600


def test_python_api_yields_lazily(sample_jsonl):
    docs = read_documents([sample_jsonl])
    pulled = []

    def source():
        for d in docs:
            pulled.append(d.id)
            yield d

    model = load_model(SHIPPED_MODEL)
    first = list(itertools.islice(batch.tag_stream(model, source(), batch_size=10), 5))
    assert [p.id for p in first] == [d.id for d in docs[:5]]
    assert len(pulled) == 10  # one chunk read, not the whole input
    everything = list(batch.tag_stream(model, docs, batch_size=64, jobs=2))
    assert [p.to_dict() for p in everything] == [p.to_dict() for p in model.predict(docs)]


def test_summary_line_and_quiet(sample_jsonl, tmp_path):
    result = run("tag", sample_jsonl, "--out", tmp_path / "a.jsonl", "-j", "1")
    summary, *rest = result.output.strip().splitlines()
    assert summary.startswith("600 documents tagged") and "docs/s" in summary
    assert "% unseen words (training" in summary and "a.jsonl.drift.json" in summary
    # the first 600 articles of 2022 are its first weeks, before the strikes on the grid:
    # a drift in the tags' mix, said in one line
    assert [line[:40] for line in rest] == ["warning: new documents drift from the tr"]
    assert run("tag", sample_jsonl, "--out", tmp_path / "b.jsonl", "-q").output == ""


def test_unknown_output_extension_is_an_error(sample_jsonl, tmp_path):
    result = run("tag", sample_jsonl, "--out", tmp_path / "out.xlsx")
    assert result.exit_code == 1 and "out.xlsx: cannot tell the output format" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _need_distributed():
    try:
        import distributed  # noqa: F401
    except ImportError:
        pytest.fail("the Dask tests need dask.distributed: pip install -e '.[dask]'")


@pytest.fixture(scope="module")
def dask_cluster():
    """A real Dask scheduler and two workers on 127.0.0.1, stopped after the tests."""
    _need_distributed()
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    bindir = Path(sys.executable).parent
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                               str(port), "--dashboard-address", ":0", "--no-show"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    for _ in range(2):
        procs.append(subprocess.Popen([str(bindir / "dask"), "worker", address, "--nthreads", "1",
                                       "--nworkers", "1", "--host", "127.0.0.1", "--no-dashboard"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
    try:
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_dask_engine_output_is_identical_to_local(dask_cluster, sample_jsonl, tmp_path):
    local = tmp_path / "local.parquet"
    remote = tmp_path / "dask.parquet"
    assert run("tag", sample_jsonl, "--out", local, "--batch-size", "100").exit_code == 0
    result = run("tag", sample_jsonl, "--out", remote, "--batch-size", "100",
                 "--engine", "dask", "--scheduler", dask_cluster)
    assert result.exit_code == 0, result.output
    assert remote.read_bytes() == local.read_bytes()


def test_dask_engine_without_a_reachable_scheduler_is_a_clear_error(sample_jsonl, tmp_path):
    _need_distributed()
    from tagger.errors import TaggerError

    with pytest.raises(TaggerError, match="cannot reach the Dask scheduler"):
        batch.tag_files([sample_jsonl], tmp_path / "o.jsonl", model_dir=SHIPPED_MODEL,
                        engine="dask", scheduler=f"tcp://127.0.0.1:{_free_port()}",
                        connect_timeout=2)
    assert not (tmp_path / "o.jsonl").exists()
