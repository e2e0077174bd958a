"""Batch tagging under faults (issue 22): errors from workers, planted lock files, killed and
stopped runs, too many workers, a bad Dask address, an archive with a foreign key.

Each test is a finding of a probe, kept so the next probe starts where that one ended.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import os
import pickle
import pkgutil
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import tagger
from conftest import FIXTURE_ARTICLES, SEEDS, SHIPPED_MODEL
from tagger.batch import engines, workers
from tagger.cli import main
from tagger.errors import FileError, OutputError, TaggerError

TAGGER = str(Path(sys.executable).parent / "tagger")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(output: str, code: int, *fragments) -> str:
    """Exit code 1 and a single 'Error: ...' line naming each fragment, no traceback."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert code == 1, output
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


def repeated_fixture(path: Path, copies: int) -> Path:
    """The fixture corpus ``copies`` times over, each copy with ids of its own."""
    lines = FIXTURE_ARTICLES.read_text().splitlines()
    path.write_text("".join(json.dumps({**json.loads(line), "id": f"{k}-{i}"}) + "\n"
                            for k in range(copies) for i, line in enumerate(lines)))
    return path


def listing(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@contextlib.contextmanager
def deadline(seconds: int):
    """Fail, rather than hang the suite, when the block takes longer than ``seconds``."""
    def expired(signum, frame):
        raise AssertionError(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# ---- every exception type reaches the parent process whole ----

def tagger_exception_classes() -> list[type]:
    """Every exception class defined anywhere in tagger, found by importing each module
    (so one added later is covered without touching this test)."""
    found = set()
    for info in pkgutil.walk_packages(tagger.__path__, "tagger."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__.startswith("tagger"):
                found.add(obj)
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


SAMPLES = {"path": "data/in.jsonl", "message": "is not what it should be", "line": 7,
           "record": "doc-1"}


def an_instance(cls: type) -> BaseException:
    """``cls`` made with a value for every parameter its __init__ takes (optional ones too,
    so every attribute is set), by name, else by annotation."""
    params = [p for p in inspect.signature(cls.__init__).parameters.values()
              if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if not params:
        return cls("a message for the person running it")
    args, kwargs = [], {}
    for p in params:
        value = SAMPLES.get(p.name, 3 if "int" in str(p.annotation) else f"some {p.name}")
        if p.kind == p.KEYWORD_ONLY:
            kwargs[p.name] = value
        else:
            args.append(value)
    return cls(*args, **kwargs)


def test_every_tagger_exception_pickles_with_its_message_and_attributes():
    classes = tagger_exception_classes()
    assert {TaggerError, FileError, OutputError} <= set(classes) and len(classes) >= 10
    for cls in classes:
        exc = an_instance(cls)
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            back = pickle.loads(pickle.dumps(exc, protocol))
            assert type(back) is cls
            assert (str(back), back.args, vars(back)) == (str(exc), exc.args, vars(exc)), cls
    back = pickle.loads(pickle.dumps(FileError("a/b.jsonl", "is broken", line=3, record="x")))
    assert (back.path, back.reason, back.line, back.record) == ("a/b.jsonl", "is broken", 3, "x")
    assert str(back) == "a/b.jsonl, line 3, record 'x': is broken"


class _Model:
    """What the worker pool asks of a model before it forks."""

    def featurizer(self):
        return None


class Unpicklable(Exception):
    def __init__(self, a, b):  # the default pickling calls this with one argument
        super().__init__(f"{a} and {b}")


def _fail_in_share(ref, share: int, how: str) -> int:
    if share == 1:
        if how == "file":
            raise FileError("out.jsonl.parts/part-000000001.jsonl", "cannot be written "
                            "(No space left on device)", line=2)
        raise Unpicklable("one", "two")
    return share


def test_an_error_in_a_worker_reaches_the_parent_whole_and_never_hangs(monkeypatch):
    # distributed (imported by the Dask tests) has tblib register every exception class
    # defined by then with copyreg, rebuilding it without __init__: default pickling here
    import copyreg

    monkeypatch.delitem(copyreg.dispatch_table, Unpicklable, raising=False)
    with deadline(30):
        with pytest.raises(FileError) as caught:
            engines._in_workers(_Model(), None, 2, lambda ref, share: (ref, share, "file"),
                                _fail_in_share)
        assert caught.value.line == 2 and "No space left on device" in str(caught.value)
        # an error that cannot be rebuilt in the parent (it hung the run) comes as a TaggerError
        with pytest.raises(TaggerError, match="Unpicklable: one and two"):
            engines._in_workers(_Model(), None, 2, lambda ref, share: (ref, share, "other"),
                                _fail_in_share)


def _file_size_limit(limit: int):
    def set_up():  # in the child: writes past ``limit`` bytes fail with EFBIG, no signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return set_up


@pytest.mark.slow  # a subprocess with two workers
def test_a_full_disk_with_two_workers_is_one_line_and_leaves_nothing(tmp_path):
    """The probe: a nearly full tmpfs hung `tag -j 2` (the workers' FileError could not be
    unpickled). A file size limit fails the workers' part files the same way."""
    data = repeated_fixture(tmp_path / "in.jsonl", 10)
    out = tmp_path / "out" / "o.jsonl"
    out.parent.mkdir()
    proc = subprocess.run([TAGGER, "tag", str(data), "--out", str(out), "-m", str(SHIPPED_MODEL),
                           "-q", "-j", "2", "--batch-size", "240"],
                          capture_output=True, text=True, timeout=60,
                          preexec_fn=_file_size_limit(16_384))
    one_line_error(proc.stderr, proc.returncode, str(out), "File too large", "nothing was written")
    assert listing(out.parent) == []  # no output, no parts, no temporary, no lock


@pytest.mark.slow
def test_a_full_disk_when_joining_keeps_the_parts_and_the_rerun_completes(tmp_path):
    data = repeated_fixture(tmp_path / "in.jsonl", 10)
    out = tmp_path / "out" / "o.jsonl"
    out.parent.mkdir()
    cmd = [TAGGER, "tag", str(data), "--out", str(out), "-m", str(SHIPPED_MODEL), "-q",
           "-j", "2", "--batch-size", "24"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                          preexec_fn=_file_size_limit(65_536))
    one_line_error(proc.stderr, proc.returncode, str(out), "File too large")
    # the parts are whole and kept for the next run; nothing half-written beside them
    assert listing(out.parent) == ["o.jsonl.parts"] + sorted(
        f"o.jsonl.parts/{name}" for name in os.listdir(out.parent / "o.jsonl.parts"))
    assert not [p for p in (out.parent / "o.jsonl.parts").iterdir() if ".tmp-" in p.name]
    subprocess.run(cmd, check=True, timeout=60)
    assert len(out.read_text().splitlines()) == 480
    assert listing(out.parent) == ["o.jsonl", "o.jsonl.drift.json", "o.jsonl.meta.json"]


# ---- a planted lock file is never followed nor written ----

def _plant(kind: str, lock: Path, victim: Path) -> None:
    if kind == "symlink":
        os.symlink(victim.name, lock)  # as the probe did: ln -s victim d/o.jsonl.lock
    elif kind == "dangling symlink":
        os.symlink(lock.parent / "nowhere", lock)
    elif kind == "hard link":
        os.link(victim, lock)
    elif kind == "fifo":
        os.mkfifo(lock)
    elif kind == "directory":
        lock.mkdir()
    elif kind == "device":
        try:
            os.mknod(lock, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null
        except PermissionError:
            pytest.skip("making a device needs privileges")


def snapshot(d: Path) -> dict:
    """What is in ``d``, by name: kind, inode, links, size, modification time, content."""
    return {p.name: (st.st_mode, st.st_ino, st.st_nlink, st.st_size, st.st_mtime_ns,
                     p.read_bytes() if stat.S_ISREG(st.st_mode) else os.readlink(p)
                     if stat.S_ISLNK(st.st_mode) else None)
            for p in d.iterdir() for st in [os.lstat(p)]}


@pytest.mark.parametrize("kind", ["symlink", "dangling symlink", "hard link", "fifo",
                                  "directory", "device"])
def test_a_planted_lock_file_is_refused_and_what_it_points_to_is_untouched(kind, tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    victim = d / "victim"
    victim.write_text("a file that is not tagger's\n")
    lock = d / "o.jsonl.lock"
    _plant(kind, lock, victim)
    before = snapshot(d)
    with deadline(20):  # a FIFO must not be waited on
        result = run("tag", SEEDS, "--out", d / "o.jsonl", "-q", "-m", SHIPPED_MODEL)
    one_line_error(result.output, result.exit_code, str(lock))
    assert victim.read_text() == "a file that is not tagger's\n"
    assert not (tmp_path / "nowhere").exists() and not (d / "nowhere").exists()
    assert snapshot(d) == before


def test_a_lock_file_left_by_a_killed_run_is_used_again(tmp_path):
    out = tmp_path / "o.jsonl"
    Path(f"{out}.lock").write_text("12345\n")  # what SIGKILL leaves
    assert run("tag", SEEDS, "--out", out, "-q", "-m", SHIPPED_MODEL).exit_code == 0
    assert listing(tmp_path) == ["o.jsonl", "o.jsonl.drift.json", "o.jsonl.meta.json"]


# ---- workers: no more than the CPUs, quiet when their run ends ----

def test_workers_are_capped_at_the_cpus_available(tmp_path, monkeypatch):
    assert workers.available_cpus() == len(os.sched_getaffinity(0))
    asked = []
    real = engines._in_workers

    def spy(model, model_dir, jobs, arguments, task):
        asked.append(jobs)
        return real(model, model_dir, jobs, arguments, task)

    monkeypatch.setattr(engines, "_in_workers", spy)
    monkeypatch.setattr(workers, "available_cpus", lambda: 2)
    result = run("tag", FIXTURE_ARTICLES, "--out", tmp_path / "o.jsonl", "-q", "-j", "64",
                 "-m", SHIPPED_MODEL, "--adapt-priors", "mean")
    assert result.exit_code == 0, result.output
    assert asked == [2, 2]  # the first pass of the priors, then the tagging: one pool at a time
    assert "at most the CPUs" in " ".join(run("tag", "--help").output.split())


def _tree_of(pid: int) -> list:
    import psutil

    try:
        return [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


@pytest.mark.slow
def test_jobs_64_starts_no_more_processes_than_cpus(tmp_path):
    pytest.importorskip("psutil")
    data = repeated_fixture(tmp_path / "in.jsonl", 200)
    proc = subprocess.Popen([TAGGER, "tag", str(data), "--out", str(tmp_path / "o.jsonl"),
                             "-m", str(SHIPPED_MODEL), "-q", "-j", "64", "--batch-size", "500",
                             "--adapt-priors", "em"], stderr=subprocess.PIPE, text=True)
    most = 0
    while proc.poll() is None:
        most = max(most, len(_tree_of(proc.pid)))
        time.sleep(0.02)
    assert proc.returncode == 0, proc.stderr.read()
    assert 1 < most <= len(os.sched_getaffinity(0)) + 1  # the workers and the run itself


def _all_end(procs: list, seconds: float) -> bool:
    """Have ``procs`` all ended (exited, or zombies left for init to reap) within ``seconds``?"""
    import psutil

    def running(p) -> bool:
        try:
            return p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline_at = time.monotonic() + seconds
    while any(running(p) for p in procs):
        if time.monotonic() > deadline_at:
            return False
        time.sleep(0.02)
    return True


def _run_with_two_workers(tmp_path: Path):
    """`tag -j 2` on an input that takes seconds, well into its run: (the process, its
    two workers, the output)."""
    data = repeated_fixture(tmp_path / "in.jsonl", 600)
    out = tmp_path / "o.jsonl"
    proc = subprocess.Popen([TAGGER, "tag", str(data), "--out", str(out), "-m",
                             str(SHIPPED_MODEL), "-q", "-j", "2", "--batch-size", "20"],
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    children = []
    started = time.monotonic()
    while len(children) < 2 and proc.poll() is None and time.monotonic() - started < 30:
        children = _tree_of(proc.pid)[1:]
        time.sleep(0.05)
    time.sleep(0.5)  # well into the run
    return proc, children, out


def _start_and_signal(tmp_path: Path, sig: int):
    """Start `tag -j 2` on an input that takes seconds, send ``sig`` to the run alone once
    its workers are up; (exit code, every line the run and its workers wrote, the lock).
    The workers must end within 5 s (at once, on Linux): none is left writing for nobody."""
    proc, children, out = _run_with_two_workers(tmp_path)
    assert proc.poll() is None, "the run ended before it could be stopped: give it more input"
    os.kill(proc.pid, sig)
    code = proc.wait(timeout=30)
    assert _all_end(children, 5), "workers outlived their run"
    return code, proc.stderr.read(), Path(f"{out}.lock")


@pytest.mark.slow
def test_sigterm_stops_a_run_with_one_line_and_no_tracebacks(tmp_path):
    pytest.importorskip("psutil")
    code, err, lock = _start_and_signal(tmp_path, signal.SIGTERM)
    one_line_error(err, code, "stopped (SIGTERM)", "run the same command again")
    assert not lock.exists()  # released: the run ended, it was not killed


@pytest.mark.slow
def test_kill_9_of_a_run_leaves_workers_that_end_quietly(tmp_path):
    pytest.importorskip("psutil")
    code, err, _ = _start_and_signal(tmp_path, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert err == "", err  # no BrokenPipe tracebacks, no warnings of a tracker process


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_one_line_not_a_hang(tmp_path):
    """The out-of-memory killer's way: one worker gone, the run must not wait for it."""
    pytest.importorskip("psutil")
    proc, children, out = _run_with_two_workers(tmp_path)
    children[0].kill()
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError("the run waits forever for a worker that was killed") from None
    one_line_error(proc.stderr.read(), code, "a worker process ended before its work was done")
    assert _all_end(children, 5) and not Path(f"{out}.lock").exists()
    assert not [p for p in (tmp_path / "o.jsonl.parts").iterdir() if ".tmp-" in p.name]


# ---- a bad Dask address; an archive with a key tagger does not write ----

@pytest.mark.parametrize("address", ["not an address", "tcp://", "foo://x:1"])
def test_a_garbage_dask_address_is_one_line_and_leaves_nothing(address, tmp_path):
    with deadline(60):
        result = run("tag", SEEDS, "--out", tmp_path / "o.jsonl", "-q", "-m", SHIPPED_MODEL,
                     "--engine", "dask", "--scheduler", address)
    one_line_error(result.output, result.exit_code, f"'{address}' is not a Dask scheduler address")
    assert listing(tmp_path) == []


@pytest.mark.parametrize("where", ["record", "type"])
def test_an_archive_record_with_an_extra_key_is_refused_naming_file_and_line(where, tmp_path):
    archive = tmp_path / "archive.jsonl"
    assert run("tag", SEEDS, "--out", archive, "-q", "-m", SHIPPED_MODEL).exit_code == 0
    records = [json.loads(line) for line in archive.read_text().splitlines()]
    tagged = next(i for i, r in enumerate(records) if r["missile_strikes_evidence"])
    if where == "record":
        records[tagged]["extra"] = "another writer's column"
    else:
        records[tagged]["missile_strikes_start"] = "12"
    archive.write_text("".join(json.dumps(r) + "\n" for r in records))
    before = archive.read_bytes()
    result = run("tag", "--incremental", SEEDS, "--out", archive, "-q", "-m", SHIPPED_MODEL)
    one_line_error(result.output, result.exit_code, f"{archive}, line {tagged + 1}",
                   "it has extra, this run does not" if where == "record"
                   else "Expected `int | null`, got `str` - at `$.missile_strikes_start`")
    assert archive.read_bytes() == before
    assert not Path(f"{archive}.parts").exists()

