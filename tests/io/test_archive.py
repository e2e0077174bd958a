"""The tagged archive: the SQLite archive `tag --out x.sqlite` writes, one model per archive
(--retag), and the records every format carries."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURE_ARTICLES, TRAIN_FIXTURE, kill_9_after_parts
from tagger.cli import main
from tagger.io.layout import record_columns
from tagger.io.writers import safe_cell

TAGGER = str(Path(sys.executable).with_name("tagger"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def records():
    out = []
    for i, line in enumerate(FIXTURE_ARTICLES.read_text().splitlines()):
        r = json.loads(line)
        out.append({**r, "date": f"2023-{1 + i % 12:02d}-0{1 + i % 9}", "source": "AB"[i % 2],
                    "url": f"https://example.org/{i}"})
    return out


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def other_model(tmp_path_factory) -> Path:
    """A second model, trained otherwise (four folds), so its fingerprint differs."""
    out = tmp_path_factory.mktemp("other") / "m2"
    result = CliRunner().invoke(main, [*TRAIN_FIXTURE, "--folds", "4", "--model", str(out)])
    assert result.exit_code == 0, result.output
    return out


def table(path, sql, *args):
    db = sqlite3.connect(path)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def test_the_sqlite_archive_opens_in_sqlite3_with_its_schema(fixture_model, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", records()[:20])
    out = tmp_path / "a.sqlite"
    result = run("tag", src, "--out", out, "-m", fixture_model)
    assert result.exit_code == 0, result.output
    assert table(out, "PRAGMA journal_mode") == [("wal",)]
    cols = {r[1]: r[2] for r in table(out, "PRAGMA table_info(documents)")}
    tags = [t["id"] for t in json.loads(dict(table(out, "SELECT * FROM archive"))["tags"])]
    for name in ("id", "date", "title", "source", "url", "model", "text"):
        assert name in cols
    for t in tags:
        assert [cols[c] for c in record_columns(t)] == ["INTEGER", "REAL", "TEXT", "INTEGER", "INTEGER"]
    rows = table(out, "SELECT id, date, source, url FROM documents ORDER BY rowid")
    assert rows == [(r["id"], r["date"], r["source"], r["url"]) for r in records()[:20]]
    facts = dict(table(out, "SELECT key, value FROM archive"))
    assert facts["format_version"] == "1" and len(facts["model"]) == 64
    assert {m for (m,) in table(out, "SELECT DISTINCT model FROM documents")} == {facts["model"]}
    runs = table(out, "SELECT model, documents, inputs, drift FROM runs")
    assert len(runs) == 1 and runs[0][:2] == (facts["model"], 20)
    assert json.loads(runs[0][2]) == [str(src)] and "warning" in json.loads(runs[0][3])
    # the decision agrees with the score and the threshold; evidence only where given
    t = tags[0]
    th = json.loads(facts["tags"])[0]["threshold"]
    for given, score, evidence, start, end, text in table(
            out, f'SELECT "{t}", "{t}_score", "{t}_evidence", "{t}_start", "{t}_end", text '
                 "FROM documents"):
        assert given == int(score >= th)
        if given and evidence is not None:
            assert text[start:end] == evidence
        if not given:
            assert evidence is None and start is None


def test_the_sqlite_archive_reads_in_sqlite_utils_and_searches(fixture_model, tmp_path):
    sqlite_utils = pytest.importorskip("sqlite_utils")
    rows = records()[:20]
    out = tmp_path / "a.sqlite"
    assert run("tag", write_jsonl(tmp_path / "in.jsonl", rows), "--out", out,
               "-m", fixture_model).exit_code == 0
    db = sqlite_utils.Database(out)
    assert db["documents"].count == 20 and db["documents"].detect_fts() == "documents_fts"
    word = max(rows[3]["text"].split(), key=len).strip(".,;:'\"()")
    found = [r["id"] for r in db["documents"].search(word)]
    assert rows[3]["id"] in found
    assert db["runs"].count == 1


def test_an_archive_built_from_many_parts_has_an_intact_index_with_fts5_defaults(
        fixture_model, tmp_path):
    import re

    rows = records()[:20]
    out = tmp_path / "a.sqlite"
    assert run("tag", write_jsonl(tmp_path / "in.jsonl", rows), "--out", out, "-m", fixture_model,
               "--batch-size", "3").exit_code == 0  # 7 parts, each a segment of the index
    db = sqlite3.connect(out)
    try:  # FTS5's own check that the index holds every row's title and text, and no more
        db.execute("INSERT INTO documents_fts(documents_fts, rank) VALUES('integrity-check', 1)")
    finally:
        db.close()
    # what later writers (sqlite-utils, a later run) index with: FTS5's defaults again (16
    # when unset)
    config = dict(table(out, "SELECT k, v FROM documents_fts_config"))
    assert (config["automerge"], config.get("crisismerge", 16), config["hashsize"]) == (4, 16, 2**20)
    for i in (1, 13, 19):  # a phrase from a text of the first, a middle and the last part
        phrase = " ".join(re.findall(r"[^\W_]+", rows[i]["text"])[5:9])
        found = table(out, "SELECT id FROM documents WHERE rowid IN (SELECT rowid FROM "
                           "documents_fts WHERE documents_fts MATCH ?)", f'"{phrase}"')
        assert (rows[i]["id"],) in found


def test_incremental_on_sqlite_adds_only_new_documents(fixture_model, tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", records()[:10])
    b = write_jsonl(tmp_path / "b.jsonl", records()[5:30])
    out = tmp_path / "a.sqlite"
    assert run("tag", "--incremental", a, "--out", out, "-m", fixture_model).exit_code == 0
    drift = (tmp_path / "a.sqlite.drift.json").read_text()
    result = run("tag", "--incremental", a, b, "--out", out, "-m", fixture_model)
    assert result.exit_code == 0 and "15 already in the archive" in result.output
    ids = [i for (i,) in table(out, "SELECT id FROM documents ORDER BY rowid")]
    assert ids == [r["id"] for r in records()[:30]]
    assert table(out, "SELECT count(*) FROM documents_fts")[0][0] == 30
    assert [n for (n,) in table(out, "SELECT documents FROM runs ORDER BY run")] == [10, 20]
    drift = (tmp_path / "a.sqlite.drift.json").read_text()
    # nothing new: the archive and the last drift report stay as they were
    before = out.read_bytes()
    result = run("tag", "--incremental", a, b, "--out", out, "-m", fixture_model)
    assert "0 documents tagged" in result.output
    assert out.read_bytes() == before and (tmp_path / "a.sqlite.drift.json").read_text() == drift


def test_incremental_with_another_model_is_refused_and_the_archive_unchanged(
        fixture_model, other_model, tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", records()[:10])
    out = tmp_path / "a.sqlite"
    assert run("tag", "--incremental", a, "--out", out, "-m", fixture_model).exit_code == 0
    before = out.read_bytes()
    old = dict(table(out, "SELECT key, value FROM archive"))["model"]
    result = run("tag", "--incremental", a, "--out", out, "-m", other_model)
    assert result.exit_code != 0 and "Traceback" not in result.output
    line, = [x for x in result.output.splitlines() if x.strip()]
    assert old in line and "--retag" in line and str(out) in line
    assert out.read_bytes() == before


def test_retag_gives_the_same_rows_as_a_fresh_run(fixture_model, other_model, tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", records()[:15])
    b = write_jsonl(tmp_path / "b.jsonl", records()[15:30])
    out, fresh = tmp_path / "a.sqlite", tmp_path / "fresh.sqlite"
    assert run("tag", "--incremental", a, "--out", out, "-m", fixture_model).exit_code == 0
    result = run("tag", "--incremental", "--retag", a, b, "--out", out, "-m", other_model)
    assert result.exit_code == 0, result.output
    assert run("tag", a, b, "--out", fresh, "-m", other_model).exit_code == 0
    query = "SELECT * FROM documents ORDER BY rowid"
    assert table(out, query) == table(fresh, query) and len(table(out, query)) == 30
    facts = dict(table(out, "SELECT key, value FROM archive"))
    assert facts == dict(table(fresh, "SELECT key, value FROM archive"))
    # the runs: the first model's, then the retagging and the new documents, both the new one's
    models = [m for (m,) in table(out, "SELECT model FROM runs ORDER BY run")]
    assert len(models) == 3 and models[0] != models[1] == models[2] == facts["model"]


@pytest.mark.slow
def test_kill_9_then_resume_on_sqlite_leaves_every_document_once(fixture_model, tmp_path):
    rows = [{**r, "id": f"{r['id']}-{k}"} for k in range(60) for r in records()]
    data = write_jsonl(tmp_path / "big.jsonl", rows)
    out = tmp_path / "out.sqlite"
    cmd = [TAGGER, "tag", str(data), "--out", str(out), "--batch-size", "50", "-j", "1",
           "--quiet", "-m", str(fixture_model)]
    assert kill_9_after_parts(cmd, tmp_path / "out.sqlite.parts") >= 3 and not out.exists()
    subprocess.run(cmd, check=True)
    ids = [i for (i,) in table(out, "SELECT id FROM documents")]
    assert sorted(ids) == sorted(r["id"] for r in rows) and len(ids) == len(set(ids))
    assert table(out, "SELECT count(*) FROM documents_fts")[0][0] == len(rows)
    assert not Path(f"{out}.parts").exists()  # nor a half-built archive in it


@pytest.mark.slow
def test_parts_of_an_older_tagger_are_tagged_again_not_attached(fixture_model, tmp_path):
    rows = [{**r, "id": f"{r['id']}-{k}"} for k in range(60) for r in records()]
    data = write_jsonl(tmp_path / "big.jsonl", rows)
    out, parts = tmp_path / "out.sqlite", tmp_path / "out.sqlite.parts"
    cmd = [TAGGER, "tag", str(data), "--out", str(out), "--batch-size", "50", "-j", "1",
           "--quiet", "-m", str(fixture_model)]
    assert kill_9_after_parts(cmd, parts) >= 3
    # as a tagger before parts version 2 left them: no version, each part JSON lines
    manifest = json.loads((parts / "manifest.json").read_text())
    del manifest["parts"]
    (parts / "manifest.json").write_text(json.dumps(manifest))
    old = b'["an old part"]\n'
    (parts / "part-000000000.sqlite").write_bytes(old)
    marker = json.loads((parts / "part-000000000.done").read_text())
    (parts / "part-000000000.done").write_text(json.dumps({**marker, "bytes": len(old)}))
    subprocess.run(cmd, check=True)
    ids = [i for (i,) in table(out, "SELECT id FROM documents ORDER BY rowid")]
    assert ids == [r["id"] for r in rows]


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx"])
def test_csv_cells_that_look_like_formulas_are_neutralised(cell):
    assert safe_cell(cell) == "'" + cell and safe_cell("plain") == "plain"


def test_repeated_ids_in_a_sqlite_archive_are_left_out_or_refused(fixture_model, tmp_path):
    rows = records()[:12]
    a, b = write_jsonl(tmp_path / "a.jsonl", rows), write_jsonl(tmp_path / "b.jsonl", rows[4:8])
    out = tmp_path / "a.sqlite"
    common = ("tag", a, b, "--out", out, "-m", fixture_model, "--batch-size", "3", "-j", "2")
    result = run(*common, "--duplicates", "skip")
    assert result.exit_code == 3, result.output
    ids = [i for (i,) in table(out, "SELECT id FROM documents ORDER BY rowid")]
    assert ids == [r["id"] for r in rows]
    assert table(out, "SELECT count(*) FROM documents_fts")[0][0] == 12
    out.unlink()
    for mode, says in (("error", "document id given twice"), ("keep", "holds each document once")):
        result = run(*common, "--duplicates", mode)
        assert result.exit_code != 0 and "Traceback" not in result.output
        assert says in result.output and not out.exists()
        # nothing half-built is left: only the committed parts, for the next run
        left = list(Path(f"{out}.parts").iterdir()) if Path(f"{out}.parts").exists() else []
        assert all(p.name.startswith("part-") or p.name == "manifest.json" for p in left)


def test_the_archive_fed_part_by_part_is_the_one_joined_at_the_end(fixture_model, tmp_path):
    from tagger import load_model
    from tagger.batch.engines import tag_chunk
    from tagger.batch.feed import PartsFeed
    from tagger.batch.parts import FirstSeen, commit, prepare, read_record
    from tagger.io.documents import raw_records
    from tagger.io.layout import Layout
    from tagger.io.sqlitebuild import join
    from tagger.model.persist import model_digest

    model = load_model(fixture_model)
    layout = Layout(tuple(model.tags), (), model_digest(fixture_model))
    src = write_jsonl(tmp_path / "in.jsonl", [*records()[:9], records()[1]])  # once again
    lines = list(raw_records([src]))
    parts, out = tmp_path / "a.sqlite.parts", tmp_path / "a.sqlite"
    prepare(parts, {"run": 1, "format": "sqlite"})
    feed = PartsFeed(parts, out, "sqlite", layout, None, "skip")
    chunks = [tag_chunk(model, i, lines[i * 5:i * 5 + 5], "sqlite", layout=layout) for i in range(2)]
    commit(parts, chunks[1], "sqlite")
    feed.add_ready()
    assert feed.next == 0 and feed.build is None  # chunk 1 waits for chunk 0
    commit(parts, chunks[0], "sqlite")
    feed.add_ready()
    assert feed.next == 2 and feed.build.path.exists()
    seen = FirstSeen("skip")  # what the join leaves out
    drop = {i: rows for i in range(2) if (rows := seen.drops(read_record(parts, i)))}
    assert drop == {1: {4}} and feed.seen.first == seen.first
    joined = tmp_path / "joined.sqlite"
    with joined.open("wb") as fh:
        join([parts / f"part-{i:09d}.sqlite" for i in range(2)], fh, layout, drop)
    feed.complete(2, drop, layout.metadata())
    query = "SELECT * FROM documents ORDER BY rowid"
    assert table(out, query) == table(joined, query) and len(table(out, query)) == 9
    word = '"' + max(records()[7]["text"].split(), key=len).strip(".,;:'\"()") + '"'
    search = "SELECT rowid FROM documents_fts WHERE documents_fts MATCH ? ORDER BY rowid"
    assert table(out, search, word) == table(joined, search, word) != []
    assert table(out, "PRAGMA journal_mode") == [("wal",)]
    assert not [p for p in parts.iterdir() if p.name.startswith(".")]  # moved into place


def test_a_part_cut_short_is_tagged_again_not_fed(tmp_path):
    from tagger.batch.parts import Chunk, commit, prepare

    parts = tmp_path / "a.sqlite.parts"
    prepare(parts, {"run": 1, "format": "sqlite"})
    for i in range(2):
        commit(parts, Chunk(i, b'["x"]\n' * 3, ["x"] * 3, [["a", 3]], "000", []), "sqlite")
    (parts / "part-000000001.sqlite").write_bytes(b'["x"]\n')  # as after a power cut
    assert prepare(parts, {"run": 1, "format": "sqlite"}) == {0}
    assert not (parts / "part-000000001.done").exists()
