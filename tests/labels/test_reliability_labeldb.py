"""Issue 22, SQLite side: another application's database is refused by every command that
takes one, unchanged (byte for byte, no -wal or -shm made beside it); a damaged database
(a sibling copy's WAL beside it) is refused in one line; plus the leftovers of the batch
work (workers capped for training, the chunks kept said truly) and a model whose tag ids
collide in the output columns. Each test is a finding of the probe, kept."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURE_ARTICLES, FIXTURE_LABELS, SCHEMA, SEEDS, SHIPPED_MODEL
from tagger.cli import main
from tagger.errors import InputError, ModelError
from tagger.io.sqlitefile import ARCHIVE_ID, LABELS_ID
from tagger.labels.database import Decision, LabelDB

TAGGER = str(Path(sys.executable).parent / "tagger")


def foreign(path: Path, *, wal: bool = True, app_id: int = 0) -> Path:
    """Another application's SQLite file: its own tables (one named like tagger's), in WAL
    mode or not, with an application id or none; closed, so no -wal is left beside it."""
    con = sqlite3.connect(path)
    if app_id:
        con.execute(f"PRAGMA application_id={app_id}")
    if wal:
        con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE documents (id TEXT, body TEXT)")
    con.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    con.execute("INSERT INTO documents VALUES ('a', 'their data')")
    con.commit()
    con.close()
    return path


def snapshot(directory: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def refused(result, name: str) -> str:
    """The command failed in one line naming ``name``, with no traceback."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and name in lines[0], result.output
    assert "Traceback" not in result.output
    return lines[0]


# ---- another application's database: refused by every command, nothing changed ----

@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """A SQLite archive tagger wrote (for browse's --db)."""
    out = tmp_path_factory.mktemp("archive") / "a.sqlite"
    result = run("tag", FIXTURE_ARTICLES, "--out", out, "-q", "-m", SHIPPED_MODEL)
    assert result.exit_code == 0, result.output
    return out


def _no_serving(*args, **kwargs):
    raise AssertionError("served a page on a database that is not tagger's")


LABEL_DB_COMMANDS = {
    "label stats": lambda db, _: ("label", "stats", "--db", db),
    "label export": lambda db, d: ("label", "export", "--db", db, "--out", d / "x.jsonl"),
    "label import": lambda db, _: ("label", "import", "--db", db, "--data", FIXTURE_ARTICLES,
                                   "--labels", FIXTURE_LABELS, "--tags", SCHEMA),
    "label (serve)": lambda db, _: ("label", "--data", FIXTURE_ARTICLES, "--db", db, "--tags",
                                    SCHEMA, "--no-model"),
    "label --labels": lambda db, _: ("label", "--data", FIXTURE_ARTICLES, "--db", db, "--tags",
                                     SCHEMA, "--no-model", "--labels", FIXTURE_LABELS),
    "train --labels": lambda db, d: ("train", "--data", FIXTURE_ARTICLES, "--labels", db,
                                     "--tags", SCHEMA, "--model", d / "m", "--no-search"),
    "audit --labels": lambda db, _: ("audit", "--data", FIXTURE_ARTICLES, "--labels", db,
                                     "--tags", SCHEMA, "--no-search"),
    "evaluate --labels": lambda db, _: ("evaluate", "--data", FIXTURE_ARTICLES, "--labels", db,
                                        "-m", SHIPPED_MODEL),
    "suggest --labels": lambda db, _: ("suggest", "--data", FIXTURE_ARTICLES, "--labels", db,
                                       "-m", SHIPPED_MODEL),
    "label import --labels": lambda db, d: ("label", "import", "--db", d / "new.db", "--data",
                                            FIXTURE_ARTICLES, "--labels", db, "--tags", SCHEMA),
}


@pytest.mark.parametrize("command", list(LABEL_DB_COMMANDS))
def test_another_applications_database_is_refused_unchanged(tmp_path, command, monkeypatch):
    import tagger.cli.label

    monkeypatch.setattr(tagger.cli.label, "serve", _no_serving)
    d = tmp_path / "their"
    d.mkdir()
    db = foreign(d / "x.db")
    before = snapshot(d)
    line = refused(run(*LABEL_DB_COMMANDS[command](db, tmp_path)), "x.db")
    assert "not a tagger label database" in line
    assert snapshot(d) == before  # byte for byte, and no x.db-wal or x.db-shm beside it
    assert not (tmp_path / "new.db").exists() or command != "label import --labels"


def test_browse_refuses_another_applications_label_database_before_serving(tmp_path, archive,
                                                                         monkeypatch):
    import tagger.cli.browse

    monkeypatch.setattr(tagger.cli.browse, "serve", _no_serving)
    d = tmp_path / "their"
    d.mkdir()
    db = foreign(d / "x.db")
    before = snapshot(d)
    refused(run("browse", archive, "--db", db), "x.db")
    assert snapshot(d) == before


@pytest.mark.parametrize("extra", [(), ("--retag",)])
def test_incremental_tag_refuses_another_applications_sqlite_unchanged(tmp_path, extra):
    d = tmp_path / "their"
    d.mkdir()
    out = foreign(d / "x.sqlite")  # with a documents table, as an archive has
    before = snapshot(d)
    line = refused(run("tag", SEEDS, "--incremental", *extra, "--out", out, "-q",
                       "-m", SHIPPED_MODEL), "x.sqlite")
    assert "not an archive written by tagger tag" in line
    assert snapshot(d) == before  # nor a lock, a parts directory or a drift report


def test_browse_refuses_another_applications_sqlite_unchanged(tmp_path, monkeypatch):
    import tagger.cli.browse

    monkeypatch.setattr(tagger.cli.browse, "serve", _no_serving)
    d = tmp_path / "their"
    d.mkdir()
    out = foreign(d / "x.sqlite")
    before = snapshot(d)
    refused(run("browse", out), "x.sqlite")
    assert snapshot(d) == before


@pytest.mark.parametrize("kind", ["rollback", "wal", "application id", "no tables"])
def test_label_database_refuses_every_kind_of_foreign_file(tmp_path, kind):
    path = tmp_path / "x.db"
    if kind == "no tables":
        con = sqlite3.connect(path)
        con.execute("PRAGMA user_version=7")  # a header, and not one table
        con.close()
    else:
        foreign(path, wal=kind == "wal", app_id=0x12345 if kind == "application id" else 0)
    before = snapshot(tmp_path)
    for create in (True, False):
        with pytest.raises(InputError, match="x.db: is (an SQLite|another application)"):
            LabelDB(path, create=create)
    assert snapshot(tmp_path) == before


def test_an_application_id_is_refused_before_sqlite_reads_the_file(tmp_path):
    """The header alone refuses it: even tables of tagger's own names do not pass."""
    path = tmp_path / "x.db"
    LabelDB(path)
    con = sqlite3.connect(path)
    con.execute("PRAGMA application_id=99")
    con.close()
    with pytest.raises(InputError, match=r"another application's SQLite database \(application id 0x63\)"):
        LabelDB(path)


def test_a_label_database_and_an_archive_are_not_taken_for_each_other(tmp_path, archive):
    db = tmp_path / "labels.sqlite"
    LabelDB(db)
    before = db.read_bytes()
    line = refused(run("tag", SEEDS, "--incremental", "--out", db, "-q", "-m", SHIPPED_MODEL),
                   "labels.sqlite")
    assert line.endswith("is a tagger label database, not an archive written by tagger tag")
    assert db.read_bytes() == before
    with pytest.raises(InputError, match="is a tagger archive, not a tagger label database"):
        LabelDB(archive)


def test_only_a_missing_or_empty_file_is_made_a_label_database(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(InputError, match="empty.db: is empty, not a label database"):
        LabelDB(empty, create=False)  # a command that reads makes nothing
    assert empty.read_bytes() == b""
    for path in (empty, tmp_path / "new.db"):
        LabelDB(path).add(Decision(doc_id="a", annotator="ann", answer="saved"))
        con = sqlite3.connect(path)
        assert con.execute("PRAGMA application_id").fetchone()[0] == LABELS_ID
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        con.close()
        assert [d.doc_id for d in LabelDB(path, create=False).current()] == ["a"]


def test_a_label_database_of_an_older_tagger_is_marked_as_tagger_s(tmp_path):
    """Written before the application id: recognised by its tables, then marked."""
    path = tmp_path / "l.db"
    LabelDB(path).add(Decision(doc_id="a", annotator="ann", answer="saved"))
    con = sqlite3.connect(path)
    con.execute("PRAGMA application_id=0")
    con.close()
    assert len(LabelDB(path, create=False).current()) == 1
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA application_id").fetchone()[0] == LABELS_ID
    con.close()


def test_archives_are_marked_as_tagger_s(archive):
    con = sqlite3.connect(f"file:{archive}?mode=ro&immutable=1", uri=True)
    assert con.execute("PRAGMA application_id").fetchone()[0] == ARCHIVE_ID
    con.close()


# ---- damage: quick_check when a database opens ----

def _writes(path: Path, n: int, prefix: str, who: str) -> sqlite3.Connection:
    """``n`` decisions, a transaction each, unsynced (the test's speed); the connection is
    returned open, so the WAL stays beside the file, not checkpointed."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")
    for i in range(n):
        con.execute("INSERT INTO decisions (doc_id, annotator, answer, created) "
                    "VALUES (?, ?, 'saved', '2025-01-01T00:00:00.000Z')", (f"{prefix}{i}", who))
    return con


def _sibling_wal(tmp_path: Path) -> tuple[Path, sqlite3.Connection]:
    """A label database, a copy of it that goes its own way, and the original's live WAL
    copied beside the copy, as a careless restore of a backup taken mid-session does."""
    original = tmp_path / "labels.db"
    LabelDB(original)
    _writes(original, 30, "d", "ann").close()
    (tmp_path / "copy").mkdir()
    copy = tmp_path / "copy" / "labels.db"
    shutil.copyfile(original, copy)
    _writes(copy, 20, "c", "bob").close()
    held = _writes(original, 300, "n", "ann" * 20)
    shutil.copyfile(str(original) + "-wal", str(copy) + "-wal")
    return copy, held


def test_a_sibling_copys_wal_is_reported_as_damage_and_left_alone(tmp_path):
    copy, held = _sibling_wal(tmp_path)
    before = copy.read_bytes()
    line = refused(run("label", "stats", "--db", copy), "labels.db")
    assert "is damaged (Page " in line and "-wal" in line  # was a traceback, or wrong counts
    with pytest.raises(InputError, match="is damaged"):
        LabelDB(copy)
    assert copy.read_bytes() == before  # the foreign WAL was not checkpointed into it
    held.close()


def test_a_database_in_use_is_read_with_its_wal(tmp_path):
    """A server holds it (its -wal beside it, not yet checkpointed): another command reads
    the decisions in the WAL too, and finds nothing damaged."""
    db = LabelDB(tmp_path / "labels.db")
    db.keep_open()
    for i in range(5):
        db.add(Decision(doc_id=f"d{i}", annotator="ann", answer="saved"))
    assert (tmp_path / "labels.db-wal").stat().st_size > 0
    assert len(LabelDB(tmp_path / "labels.db", create=False).current()) == 5
    result = run("label", "stats", "--db", tmp_path / "labels.db")
    assert result.exit_code == 0 and "ann" in result.output


def test_a_damaged_archive_is_refused_before_adding_to_it(tmp_path, archive):
    out = tmp_path / "a.sqlite"
    shutil.copyfile(archive, out)
    data = bytearray(out.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for p in range(2, len(data) // page):  # every page's b-tree header scrambled
        data[p * page:p * page + 8] = b"\x0d\xff\xff\xff\xff\xff\xff\xff"
    out.write_bytes(bytes(data))
    line = refused(run("tag", SEEDS, "--incremental", "--out", out, "-q", "-m", SHIPPED_MODEL),
                   "a.sqlite")
    assert "damaged" in line or "cannot be read" in line
    assert out.read_bytes() == bytes(data)


# ---- a model whose tag ids collide in the output columns ----

def test_a_model_whose_tag_ids_collide_is_refused_on_load(tmp_path):
    model = tmp_path / "m"
    shutil.copytree(SHIPPED_MODEL, model)
    meta = json.loads((model / "model.json").read_text())
    first, second = meta["tags"][:2]
    clash = f"{first}_score"
    meta["tags"][1] = clash
    meta["thresholds"][clash] = meta["thresholds"].pop(second)
    (model / "model.json").write_text(json.dumps(meta))
    line = refused(run("info", "-m", model), "model.json")
    assert f"'{clash}'" in line and "output column" in line
    from tagger.model.persist import load_model

    with pytest.raises(ModelError, match="output column"):
        load_model(model)


# ---- the batch leftovers: workers capped, chunks kept said truly ----

def test_training_workers_are_capped_at_the_cpus_available(monkeypatch):
    from tagger.batch import workers
    from tagger.config import available_cpus
    from tagger.model import search

    assert workers.available_cpus is available_cpus  # one cap, for tag and train alike
    monkeypatch.setattr(search, "available_cpus", lambda: 2)
    assert search.worker_count(64, 10) == 2
    assert search.worker_count(1, 10_000) == 1
    assert search.worker_count(None, 10_000) == 2
    assert search.worker_count(None, 10) == 1
    for command in ("train", "evaluate", "audit"):
        assert "at most the CPUs" in " ".join(run(command, "--help").output.split())


def test_chunks_kept_are_counted_in_the_singular_too(tmp_path):
    from tagger.batch.parts import kept_phrase
    from tagger.batch.run import _parts_error  # noqa: PLC2701 (the message under test)
    from tagger.errors import FileError

    assert kept_phrase(1) == "the 1 chunk finished is kept"
    assert kept_phrase(3) == "the 3 chunks finished are kept"
    exc = FileError(tmp_path / "o.jsonl.parts" / "part-1", "cannot be written (No space left)")
    msg = str(_parts_error(tmp_path / "o.jsonl", tmp_path / "o.jsonl.parts", exc, 1))
    assert "the 1 chunk finished is kept in o.jsonl.parts" in msg


@pytest.mark.parametrize("kept", [0, 2])
def test_an_interrupt_says_what_is_kept(tmp_path, monkeypatch, kept):
    import tagger.batch.run

    out = tmp_path / "o.jsonl"

    def stopped(*args, **kwargs):
        if kept:
            (tmp_path / "o.jsonl.parts").mkdir()
            for i in range(kept):
                (tmp_path / f"o.jsonl.parts/part-{i:06d}.done").touch()
        raise KeyboardInterrupt("SIGTERM")

    monkeypatch.setattr(tagger.batch.run, "tag_files", stopped)
    line = refused(run("tag", SEEDS, "--out", out, "-q"), "")
    if kept:
        assert line == ("Error: stopped (SIGTERM): the 2 chunks finished are kept; run the "
                        "same command again to continue")
    else:
        assert line == ("Error: stopped (SIGTERM): no chunk was finished, nothing was written; "
                        "run the same command again to start over")


# ---- the labelling server: a claim in review opens one connection ----

def test_a_review_claim_opens_one_connection(tmp_path, monkeypatch):
    from tagger import load_schema, read_documents
    from tagger.app.session import Session

    db = LabelDB(tmp_path / "labels.db")
    docs = read_documents([FIXTURE_ARTICLES])
    db.add(Decision(doc_id=docs[0].id, annotator="ann", answer="saved", tags=("missile_strikes",)))
    db.add(Decision(doc_id=docs[0].id, annotator="bob", answer="saved"))
    session = Session(db=db, docs=docs, schema=load_schema(SCHEMA), annotator="rev",
                      queue="review")
    opened = []
    real = db.connect
    monkeypatch.setattr(db, "connect", lambda *a, **k: opened.append(1) or real(*a, **k))
    assert session.next_document("rev", "tab-1") == docs[0].id
    assert len(opened) == 1


# ---- the probe, as written (whole processes) ----

@pytest.mark.slow
def test_the_probe_as_written_changes_nothing(tmp_path):
    d = tmp_path / "their"
    d.mkdir()
    db = foreign(d / "x.db")
    before = snapshot(d)
    for args in (["label", "stats", "--db", db], ["label", "export", "--db", db, "--out",
                                                  tmp_path / "x.jsonl"],
                 ["train", "--data", FIXTURE_ARTICLES, "--labels", db, "--tags", SCHEMA,
                  "--model", tmp_path / "m"]):
        proc = subprocess.run([TAGGER, *map(str, args)], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "COLUMNS": "200"})
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.count("\n") == 1 and "x.db" in proc.stderr
        assert snapshot(d) == before
    assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "m").exists()
