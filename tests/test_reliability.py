"""Lose nothing, trust no file: each way the tool once lost data, hung or crashed, as a test.

Everything here runs on files the tests write themselves (the fixture corpus, hostile
model directories built from a valid model), so none of it needs ../shared.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import hostile
from conftest import FIXTURE_ARTICLES, FIXTURE_LABELS, SCHEMA, SEEDS, SHIPPED_MODEL, TRAIN_FIXTURE
from tagger import load_model
from tagger.cli import main
from tagger.io.documents import iter_documents_lenient, read_documents
from tagger.errors import InputError, ModelError

TAGGER = str(Path(sys.executable).parent / "tagger")
SEED = SEEDS / "004_40f943de2ae17bec.txt"


def run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


def one_line_error(result, *fragments):
    """The command failed with exit code 1 and a single 'Error: ...' line naming each fragment."""
    output = result.output if hasattr(result, "output") else result.stderr
    assert result.exit_code if hasattr(result, "exit_code") else result.returncode == 1
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    assert "Traceback" not in output
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


def dead_pid() -> int:
    """The pid of a process that has finished (so nothing runs under it)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def repeated_fixture(path: Path, copies: int) -> Path:
    """The fixture corpus ``copies`` times over, each copy with ids of its own."""
    lines = FIXTURE_ARTICLES.read_text().splitlines()
    path.write_text("".join(json.dumps({**json.loads(line), "id": f"{k}-{i}"}) + "\n"
                            for k in range(copies) for i, line in enumerate(lines)))
    return path


def tree(path: Path) -> dict:
    return {str(p.relative_to(path)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(path.rglob("*"))}


def model_content(path: Path) -> dict:
    """A model directory's files, but for the rebuild command and the card (which name
    the directory)."""
    files = tree(path)
    files.pop("README.md", None)
    if "model.json" in files:
        meta = json.loads(files["model.json"])
        meta.pop("command", None)
        files["model.json"] = meta
    return files


# ---- 1. never destroy what the user did not ask to replace ----

def test_train_refuses_a_directory_holding_anything_but_a_model(tmp_path):
    target = tmp_path / "V"
    (target / "s").mkdir(parents=True)
    (target / "a.csv").write_text("x\n")
    before = tree(target)
    result = run(*TRAIN_FIXTURE, "--model", target)
    one_line_error(result, "holds files that are not a tagger model", "a.csv", "s/")
    assert tree(target) == before


def test_train_with_the_data_directory_as_model_keeps_the_data(tmp_path):
    data = tmp_path / "D"
    data.mkdir()
    shutil.copy(FIXTURE_ARTICLES, data / "articles.jsonl")
    before = tree(data)
    result = run("train", "--data", data, "--labels", FIXTURE_LABELS, "--model", data, "--no-search")
    one_line_error(result, "holds files that are not a tagger model")
    assert tree(data) == before


def test_train_replaces_a_model_and_fills_an_empty_directory(fixture_model, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(*TRAIN_FIXTURE, "--model", empty).exit_code == 0
    old = tmp_path / "old"
    shutil.copytree(SHIPPED_MODEL, old)
    assert run(*TRAIN_FIXTURE, "--model", old).exit_code == 0
    assert model_content(old) == model_content(empty) == model_content(fixture_model)


@pytest.mark.parametrize("kind", ["fifo", "symlink", "directory", "input"])
@pytest.mark.parametrize("option", ["tag", "json"])
def test_outputs_that_are_fifos_links_directories_or_inputs_are_refused(kind, option, fixture_model,
                                                                        tmp_path):
    data = tmp_path / "in.jsonl"
    shutil.copy(FIXTURE_ARTICLES, data)
    target = tmp_path / "out.jsonl"
    linked = tmp_path / "linked.jsonl"
    linked.write_text("mine\n")
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink":
        target.symlink_to(linked)
    elif kind == "directory":
        target.mkdir()
    else:
        target = data
    before = (tree(tmp_path), target.lstat().st_mode)
    if option == "tag":
        result = run("tag", data, "--out", target, "--format", "jsonl", "-m", fixture_model)
    else:
        result = run("evaluate", "-m", fixture_model, "--data", data, "--labels", FIXTURE_LABELS,
                     "--include-training", "--json", target)
    message = {"fifo": "is a device, FIFO or socket", "symlink": "is a symbolic link",
               "directory": "is a directory", "input": "is also an input"}[kind]
    if kind == "directory":  # refused by click's own check of the option: a usage error
        assert result.exit_code == 2 and message in result.output
    else:
        one_line_error(result, str(target), message)
    assert (tree(tmp_path), target.lstat().st_mode) == before


def test_a_device_is_never_replaced(fixture_model):
    # /dev/null itself is safe to name: the check refuses it before anything is written
    before = os.stat("/dev/null")
    result = run("tag", SEEDS, "--out", "/dev/null", "--format", "jsonl", "-m", fixture_model)
    one_line_error(result, "is a device, FIFO or socket")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_an_output_inside_an_input_directory_is_refused(fixture_model, tmp_path):
    (tmp_path / "a.txt").write_text(SEED.read_text())
    result = run("tag", tmp_path, "--out", tmp_path / "tags.jsonl", "-m", fixture_model)
    one_line_error(result, "is inside the input directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_outputs_get_the_permissions_the_umask_gives(fixture_model, tmp_path):
    old = os.umask(0o027)
    try:
        assert run("tag", SEEDS, "--out", tmp_path / "t.jsonl", "-m", fixture_model).exit_code == 0
        assert run("evaluate", "-m", fixture_model, "--data", FIXTURE_ARTICLES, "--labels",
                   FIXTURE_LABELS, "--include-training", "--json", tmp_path / "s.json").exit_code == 0
        assert run(*TRAIN_FIXTURE, "--model", tmp_path / "m").exit_code == 0
    finally:
        os.umask(old)
    for f in ("t.jsonl", "s.json", "m/model.json", "m/arrays.npz"):
        assert stat.S_IMODE((tmp_path / f).stat().st_mode) == 0o640, f
    assert stat.S_IMODE((tmp_path / "m").stat().st_mode) == 0o750


def test_temporaries_left_by_killed_runs_are_swept_on_the_next_run(fixture_model, tmp_path):
    pid = dead_pid()
    (tmp_path / f".t.jsonl.tmp-{pid}-abcd1234").write_text("half")
    (tmp_path / f".m.tmp-{pid}-abcd1234").mkdir()
    alive = tmp_path / f".t.jsonl.tmp-{os.getpid()}-00000000"  # a live writer's: kept
    alive.write_text("in progress")
    assert run("tag", SEEDS, "--out", tmp_path / "t.jsonl", "-m", fixture_model).exit_code == 0
    assert run(*TRAIN_FIXTURE, "--model", tmp_path / "m").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["t.jsonl", "t.jsonl.drift.json",
                                                                 "t.jsonl.meta.json",
                                                                 "m", alive.name])


def test_a_model_moved_aside_by_a_killed_save_is_put_back(fixture_model, tmp_path):
    # killed between moving the old model aside and moving the new one in
    aside = tmp_path / f".m.old-{dead_pid()}-abcd1234"
    shutil.copytree(fixture_model, aside)
    from tagger.model.persist import save_model

    save_model(load_model(fixture_model), tmp_path / "m")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    assert model_content(tmp_path / "m") == model_content(fixture_model)


# ---- 2. batch tagging counts every document ----

def _table_with_a_bad_first_row(n: int) -> pd.DataFrame:
    articles = [json.loads(line) for line in FIXTURE_ARTICLES.read_text().splitlines()]
    rows = [{"id": f"r{i}", "title": "", "text": articles[i % len(articles)]["text"]}
            for i in range(n)]
    rows[0]["text"] = ""
    return pd.DataFrame(rows)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_bad_first_row_is_skipped_and_every_other_row_tagged(suffix, fixture_model, tmp_path):
    frame = _table_with_a_bad_first_row(999)
    data = tmp_path / f"in{suffix}"
    frame.to_csv(data, index=False) if suffix == ".csv" else frame.to_parquet(data)
    out = tmp_path / "out.jsonl"
    result = run("tag", data, "--out", out, "-m", fixture_model, "--batch-size", "100")
    assert result.exit_code == 3, result.output
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert ids == [f"r{i}" for i in range(1, 999)]
    errors = [json.loads(line) for line in (tmp_path / "out.jsonl.errors.jsonl").read_text().splitlines()]
    assert [e["reason"] for e in errors] == ["has no text"]
    assert "998 documents tagged" in result.output and "1 skipped" in result.output


def test_a_repeated_id_across_inputs_is_an_error_by_default(fixture_model, tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text('{"id": "x", "text": "Missiles struck Kyiv."}\n{"id": "y", "text": "Rain."}\n')
    b.write_text('{"id": "x", "text": "Another text."}\n')
    out = tmp_path / "out.jsonl"
    one_line_error(run("tag", a, b, "--out", out, "-m", fixture_model), "record 'x'",
                   "document id given twice", "--duplicates")
    assert not out.exists()
    assert run("tag", a, b, "--out", out, "-m", fixture_model, "--duplicates", "skip").exit_code == 3
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["x", "y"]
    (skipped,) = [json.loads(line) for line in Path(f"{out}.errors.jsonl").read_text().splitlines()]
    assert skipped["id"] == "x" and skipped["source"] == str(b) and "duplicate id" in skipped["reason"]
    assert run("tag", a, b, "--out", out, "-m", fixture_model, "--duplicates", "keep").exit_code == 0
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["x", "y", "x"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_duplicates_are_dropped_from_csv_and_parquet_outputs_too(suffix, fixture_model, tmp_path):
    out = tmp_path / f"out{suffix}"
    assert run("tag", FIXTURE_ARTICLES, FIXTURE_ARTICLES, "--out", out, "-m", fixture_model,
               "--duplicates", "skip", "--batch-size", "10").exit_code == 3
    frame = pd.read_csv(out, dtype={"id": str}) if suffix == ".csv" else pd.read_parquet(out)
    assert list(frame["id"]) == [f"fx{i:03d}" for i in range(48)]


def test_the_same_file_twice_is_an_error_before_any_work(fixture_model, tmp_path):
    out = tmp_path / "out.jsonl"
    one_line_error(run("tag", FIXTURE_ARTICLES, str(FIXTURE_ARTICLES), "--out", out, "-m",
                       fixture_model), "is given twice")
    assert not out.exists() and not Path(f"{out}.parts").exists()


def test_an_output_in_a_new_directory_is_written_there(fixture_model, tmp_path):
    out = tmp_path / "new" / "dir" / "tags.jsonl"
    assert run("tag", SEEDS, "--out", out, "-m", fixture_model).exit_code == 0
    assert len(out.read_text().splitlines()) == 3
    assert sorted(p.name for p in out.parent.iterdir()) == ["tags.jsonl", "tags.jsonl.drift.json",
                                                                  "tags.jsonl.meta.json"]


def test_a_run_holding_the_output_keeps_others_out_and_a_dead_one_does_not(fixture_model, tmp_path):
    out = tmp_path / "out.jsonl"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from tagger.io.files import OutputLock\n"
        f"with OutputLock({str(out)!r}):\n    print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = run("tag", FIXTURE_ARTICLES, "--out", out, "-m", fixture_model)
        one_line_error(result, "is being written by another tagger run", f"pid {holder.pid}")
        assert not out.exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert Path(f"{out}.lock").exists()  # what SIGKILL leaves: no longer a lock
    assert run("tag", FIXTURE_ARTICLES, "--out", out, "-m", fixture_model).exit_code == 0
    assert len(out.read_text().splitlines()) == 48
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "out.jsonl.drift.json",
                                                            "out.jsonl.meta.json"]


@pytest.mark.slow
def test_two_concurrent_runs_on_one_output_one_wins_and_the_output_is_complete(fixture_model, tmp_path):
    data = repeated_fixture(tmp_path / "in.jsonl", 400)
    out = tmp_path / "out.jsonl"
    cmd = [TAGGER, "tag", str(data), "--out", str(out), "-m", str(fixture_model), "-j", "1"]
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    loser = next(err for code, err in results if code == 1)
    assert "is being written by another tagger run (pid" in loser and "Traceback" not in loser
    assert len(out.read_text().splitlines()) == 400 * 48


# ---- kill -9 at random moments, then the same command ----

def _kill_after(cmd, delay: float) -> None:
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.mark.slow
def test_kill_9_during_train_then_the_same_command_gives_the_same_model(fixture_model, tmp_path):
    model = tmp_path / "m"
    cmd = [TAGGER, *TRAIN_FIXTURE, "--model", str(model)]
    rng = random.Random(0)
    for delay in sorted(rng.uniform(0.3, 4.0) for _ in range(4)):
        shutil.rmtree(model, ignore_errors=True)
        shutil.copytree(SHIPPED_MODEL, model)  # an older model to be replaced
        _kill_after(cmd, delay)
        # whatever the moment, the directory holds a whole model: the old one or the new one
        # (or, killed between the two renames, the old one is aside, to be put back)
        assert model_content(model) in (model_content(SHIPPED_MODEL), model_content(fixture_model)) \
            or (not model.exists() and list(tmp_path.glob(".m.old-*")))
        subprocess.run(cmd, check=True)
        assert model_content(model) == model_content(fixture_model)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


@pytest.mark.slow
def test_kill_9_during_tag_then_the_same_command_gives_the_same_output(fixture_model, tmp_path):
    data = repeated_fixture(tmp_path / "in.jsonl", 300)
    reference = tmp_path / "reference.jsonl"
    assert run("tag", data, "--out", reference, "-m", fixture_model, "-q").exit_code == 0
    out = tmp_path / "out.jsonl"
    cmd = [TAGGER, "tag", str(data), "--out", str(out), "-m", str(fixture_model), "-j", "2",
           "--batch-size", "300", "-q"]
    rng = random.Random(1)
    for delay in sorted(rng.uniform(0.5, 3.0) for _ in range(3)):
        out.unlink(missing_ok=True)
        _kill_after(cmd, delay)
        subprocess.run(cmd, check=True)
        assert out.read_bytes() == reference.read_bytes()
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "in.jsonl", "out.jsonl", "out.jsonl.drift.json", "out.jsonl.meta.json",
            "reference.jsonl", "reference.jsonl.drift.json", "reference.jsonl.meta.json"]


@pytest.mark.slow
def test_incremental_runs_over_a_growing_input_with_a_kill_9_keep_each_document_once(
        fixture_model, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    repeated_fixture(inbox / "day1.jsonl", 20)  # 960 articles
    archive = tmp_path / "archive.jsonl"
    cmd = [TAGGER, "tag", "--incremental", str(inbox), "--out", str(archive), "-m",
           str(fixture_model), "-j", "2", "--batch-size", "100", "-q"]
    subprocess.run(cmd, check=True)
    day1 = archive.read_bytes()
    day2 = repeated_fixture(tmp_path / "day2.jsonl", 200)  # 9,600 more, ids of their own
    day2.write_text("".join(json.dumps({**json.loads(line), "id": "d2-" + json.loads(line)["id"]}) + "\n"
                            for line in day2.read_text().splitlines()))
    shutil.move(day2, inbox / "day2.jsonl")
    expected = 960 + 9600
    for delay in (0.8, 1.6):
        _kill_after(cmd, delay)
        # all or nothing: yesterday's archive, or today's whole
        now = archive.read_bytes()
        assert now == day1 or (now.startswith(day1) and now.count(b"\n") == expected)
    subprocess.run(cmd, check=True)
    ids = [json.loads(line)["id"] for line in archive.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == expected and archive.read_bytes().startswith(day1)
    subprocess.run(cmd, check=True)  # nothing new: nothing added
    assert archive.read_text().count("\n") == expected
    assert not list(tmp_path.glob("*.parts"))


# ---- 3. model files are data with a schema ----

@pytest.fixture(scope="module")
def hostile_models(tmp_path_factory, fixture_model):
    root = tmp_path_factory.mktemp("hostile")
    return {name: hostile.build(name, SHIPPED_MODEL, root / name) for name in hostile.HOSTILE}


@pytest.mark.slow  # building the hostile models (one nested 100,000 deep) takes seconds
@pytest.mark.parametrize("name", sorted(hostile.HOSTILE))
def test_hostile_models_are_refused_in_bounded_memory(name, hostile_models):
    tracemalloc.start()
    try:
        with pytest.raises(ModelError) as refused:
            load_model(hostile_models[name])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(hostile_models[name]) in str(refused.value) and "\n" not in str(refused.value)
    assert peak < 300 * 2**20, f"{peak / 2**20:.0f} MiB"
    one_line_error(run("predict", SEED, "-m", hostile_models[name]), str(hostile_models[name]))


def test_no_model_is_taken_from_the_current_directory(monkeypatch, tmp_path):
    import tagger.model.persist

    shutil.copytree(SHIPPED_MODEL, tmp_path / "models" / "ukraine-war")  # a planted model
    monkeypatch.setattr(tagger.model.persist, "shipped_model", lambda: None)  # none installed
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TAGGER_MODEL", raising=False)
    one_line_error(run("predict", SEED), "no model given")


# ---- 4. bounded input ----

def test_an_oversized_jsonl_record_is_skipped_in_bounded_memory(tmp_path):
    data = tmp_path / "in.jsonl"
    with data.open("w") as fh:
        fh.write('{"id": "a", "text": "Missiles struck."}\n')
        fh.write('{"id": "huge", "text": "' + "word " * 6_000_000 + '"}\n')  # 30 MB
        fh.write('{"id": "b", "text": "Rain fell."}\n')
    tracemalloc.start()
    try:
        items = list(iter_documents_lenient([data], max_doc_bytes=2**20))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [getattr(i, "id") for i in items] == ["a", "in.jsonl:2", "b"]
    assert "larger than the cap of 1,048,576 bytes" in items[1].reason
    assert peak < 8 * 2**20
    with pytest.raises(InputError, match=r"line 2: is larger than the cap"):
        read_documents([data], max_doc_bytes=2**20)


def test_tag_skips_documents_over_the_cap_and_lists_them(fixture_model, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "small.txt").write_text("Missiles struck the city.")
    (tmp_path / "in" / "big.txt").write_text("word " * 1000)
    out = tmp_path / "out.jsonl"
    result = run("tag", tmp_path / "in", "--out", out, "-m", fixture_model, "--max-doc-bytes", "1000")
    assert result.exit_code == 3
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["small"]
    (err,) = [json.loads(line) for line in Path(f"{out}.errors.jsonl").read_text().splitlines()]
    assert err["id"] == "big" and "larger than the cap of 1,000 bytes" in err["reason"]


@pytest.mark.slow  # a whole tagger process
def test_standard_input_is_read_up_to_the_cap_only(fixture_model):
    proc = subprocess.run(f"{TAGGER} predict - -m {fixture_model} --max-doc-bytes 100000 < /dev/zero",
                          shell=True, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "Error: <stdin>: is larger than the cap of 100,000 bytes per document"


# ---- 6. one-line errors for every failure ----

@pytest.mark.slow  # a whole tagger process
def test_standard_output_to_a_full_device_is_a_one_line_error(fixture_model):
    proc = subprocess.run(f"{TAGGER} predict {SEED} -m {fixture_model} > /dev/full", shell=True,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "Error: standard output cannot be written (No space left on device)"


def test_a_closed_pipe_is_a_one_line_error(fixture_model, monkeypatch):
    # this machine's pipes do not report a reader that went away, so the failure is injected
    import tagger.cli

    def closed(*args, **kwargs):
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    monkeypatch.setattr(tagger.cli.options.click, "echo", closed)
    result = run("predict", SEED, "-m", fixture_model, "-f", "json")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.strip() == "Error: standard output closed before the output ended (broken pipe)"


@pytest.mark.parametrize("command", ["tag", "evaluate", "train"])
def test_a_full_disk_is_a_one_line_error_and_changes_nothing(command, fixture_model, tmp_path,
                                                             monkeypatch):
    out = tmp_path / ("out.jsonl" if command != "train" else "m")
    if command == "train":
        shutil.copytree(fixture_model, out)
    else:
        out.write_text("the old output\n")
    before = tree(tmp_path)

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    args = {"tag": ["tag", SEEDS, "--out", out, "-m", fixture_model],
            "evaluate": ["evaluate", "-m", fixture_model, "--data", FIXTURE_ARTICLES, "--labels",
                         FIXTURE_LABELS, "--include-training", "--json", out],
            "train": [*TRAIN_FIXTURE, "--model", out]}[command]
    one_line_error(run(*args), str(out), "No space left on device")
    assert tree(tmp_path) == before


def test_a_directory_that_cannot_be_written_is_a_one_line_error(fixture_model, tmp_path, monkeypatch):
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and str(path).startswith(str(tmp_path)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    one_line_error(run("evaluate", "-m", fixture_model, "--data", FIXTURE_ARTICLES, "--labels",
                       FIXTURE_LABELS, "--include-training", "--json", tmp_path / "s.json"),
                   "Read-only file system")
    one_line_error(run("tag", SEEDS, "--out", tmp_path / "t.jsonl", "-m", fixture_model),
                   "Read-only file system")


def test_tag_from_standard_input_is_a_one_line_error(fixture_model, tmp_path):
    one_line_error(run("tag", "-", "--out", tmp_path / "t.jsonl", "-m", fixture_model),
                   "batch tagging reads files, not standard input")


def test_cross_validation_on_a_handful_of_labels_works_or_says_why(tmp_path):
    lines = FIXTURE_ARTICLES.read_text().splitlines()[:8]
    data = tmp_path / "few.jsonl"
    data.write_text("\n".join(lines) + "\n")
    labels = tmp_path / "few.csv"
    labels.write_text("id,tags\n" + "".join(f"fx{i:03d},{'missile_strikes' if i % 2 else ''}\n"
                                            for i in range(8)))
    result = run("evaluate", "--cv", "3", "--data", data, "--labels", labels, "--folds", "2")
    assert result.exit_code == 0, result.output
    assert "8 labelled documents (3-fold cross-validation" in result.output
    result = run("evaluate", "--cv", "3", "--data", data, "--labels", labels, "--tags", SCHEMA)
    one_line_error(result, "has no positive examples")


def test_an_unknown_tag_in_evaluation_labels_is_an_error(fixture_model, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("id,tags\nfx000,missile_strikes\nfx001,made_up\n")
    one_line_error(run("evaluate", "-m", fixture_model, "--data", FIXTURE_ARTICLES, "--labels", labels),
                   f"{labels}, line 3: unknown tag 'made_up'")


# ---- 7. decoding and line numbers ----

TEXT = "Russian missiles struck Kyiv — «Київ» — overnight.\nPower was cut."


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le",
                                      "utf-32-be", "utf-8-sig"])
def test_utf16_and_utf32_text_is_decoded_with_or_without_a_bom(encoding, tmp_path):
    (tmp_path / "a.txt").write_bytes(TEXT.encode(encoding))
    jsonl = json.dumps({"id": "j", "text": TEXT}, ensure_ascii=False) + "\n"
    (tmp_path / "b.jsonl").write_bytes(jsonl.encode(encoding))
    frame = pd.DataFrame([{"id": "c", "text": TEXT}])
    (tmp_path / "c.csv").write_bytes(frame.to_csv(index=False).encode(encoding))
    docs = read_documents([tmp_path])
    assert [(d.id, d.text) for d in docs] == [("a", TEXT), ("j", TEXT), ("c", TEXT)]


def test_csv_errors_name_the_physical_line_after_multi_line_fields(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text('id,text\na,"first line\nsecond line\nthird line"\nb,\n')
    with pytest.raises(InputError, match=r"d.csv, line 5, record 'b': has no text"):
        read_documents([data])
    labels = tmp_path / "l.csv"
    labels.write_text('id,tags\n"a\nb",missile_strikes\nc,missile_strikes;missile_strikes\n')
    from tagger.labels.attach import read_labels

    with pytest.raises(InputError, match=r"l.csv, line 4: tag listed twice"):
        read_labels(labels)
