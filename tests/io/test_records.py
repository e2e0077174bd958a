"""The one record layout (issue 23, item 1): every format `tagger tag` writes and what
`tagger predict` prints carry id, date, title, source, url, the fields kept, model, then
per tag TAG, TAG_score, TAG_evidence, TAG_start, TAG_end; typed in Parquet; metadata in
the file or beside it; an archive in the old layout refused; any archive browsable."""

from __future__ import annotations

import csv
import datetime
import io
import json
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import FIXTURE_ARTICLES, TAGS
from tagger.cli import main
from tagger.io.layout import record_columns
from tagger.model.persist import load_model, model_digest

FIXED = ["id", "date", "title", "source", "url"]
PER_TAG = [c for t in TAGS for c in record_columns(t)]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result, *fragments):
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.fixture(scope="module")
def articles(tmp_path_factory):
    """The fixture articles, some dated, with a source, a url, other fields (a word count,
    a language on some) and one title a spreadsheet would run as a formula."""
    out = tmp_path_factory.mktemp("records") / "in.jsonl"
    rows = []
    for k, line in enumerate(FIXTURE_ARTICLES.read_text().splitlines()):
        r = json.loads(line)
        r.update(source=f"Outlet {k % 3}", words=len(r["text"].split()),
                 **({"date": f"2024-02-{1 + k % 28:02d}"} if k % 2 else {}),
                 **({"url": f"https://example.org/{k}", "lang": "en"} if k % 4 == 0 else {}))
        rows.append(r)
    rows[0]["title"] = "=HYPERLINK(\"http://evil\")"
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return out, rows


@pytest.fixture(scope="module")
def outputs(articles, fixture_model, tmp_path_factory):
    """The articles tagged into each format, keeping `words` and `lang`."""
    folder = tmp_path_factory.mktemp("outputs")
    made = {}
    for fmt in ("jsonl", "csv", "parquet", "sqlite"):
        out = folder / f"tags.{fmt}"
        result = run("tag", articles[0], "--out", out, "-m", fixture_model, "-q",
                     "--keep", "words", "--keep", "lang")
        assert result.exit_code == 0, result.output
        made[fmt] = out
    return made


def columns(keep=("words", "lang")):
    return [*FIXED, *keep, "model", *PER_TAG]


def test_jsonl_records_are_flat_in_the_layout_with_json_types(outputs, articles, fixture_model):
    rows = [json.loads(line) for line in outputs["jsonl"].read_text().splitlines()]
    assert [list(r) for r in rows] == [columns()] * len(articles[1])
    first, second = rows[0], rows[1]
    assert first["date"] is None and second["date"] == "2024-02-02"
    assert first["url"] == "https://example.org/0" and second["url"] == ""
    assert first["words"] == str(articles[1][0]["words"]) and first["lang"] == "en"
    assert second["lang"] is None
    assert {r["model"] for r in rows} == {model_digest(fixture_model)}
    assert first["source"] == "Outlet 0" and first["title"].startswith("=HYPERLINK")
    for r in rows:
        for t in TAGS:
            assert isinstance(r[t], bool) and 0 <= r[f"{t}_score"] <= 1
            spans = [r[f"{t}_evidence"], r[f"{t}_start"], r[f"{t}_end"]]
            assert spans == [None] * 3 if not r[t] else isinstance(spans[1], int)
    assert any(r[t] for r in rows for t in TAGS)


def test_csv_has_the_same_records_as_text_with_formulas_neutralised(outputs):
    raw = outputs["csv"].read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    jsonl = [json.loads(line) for line in outputs["jsonl"].read_text().splitlines()]
    assert list(rows[0]) == columns()
    assert rows[0]["title"] == "'" + jsonl[0]["title"]  # a spreadsheet will not run it
    for row, ref in zip(rows, jsonl):
        for t in TAGS:
            assert row[t] == ("true" if ref[t] else "false")
            assert float(row[f"{t}_score"]) == pytest.approx(ref[f"{t}_score"], abs=1e-6)
            assert row[f"{t}_start"] == ("" if ref[f"{t}_start"] is None else str(ref[f"{t}_start"]))
        assert row["date"] == (ref["date"] or "") and row["lang"] == (ref["lang"] or "")


def test_parquet_is_typed_for_pyarrow_and_pandas_with_metadata(outputs, fixture_model):
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(outputs["parquet"])
    assert schema.names == columns()
    types = dict(zip(schema.names, schema.types))
    assert types["date"] == pa.date32() and types["words"] == pa.string()
    for t in TAGS:
        assert [types[c] for c in record_columns(t)] == [pa.bool_(), pa.float64(), pa.string(),
                                                         pa.int64(), pa.int64()]
    meta = json.loads(schema.metadata[b"tagger"])
    model = load_model(fixture_model)
    assert meta["model"] == model_digest(fixture_model) and meta["model_name"] == fixture_model.name
    assert [(t["id"], t["threshold"]) for t in meta["tags"]] == \
        list(zip(model.tags, [float(x) for x in model.thresholds]))
    assert meta["keep"] == ["words", "lang"]

    frame = pd.read_parquet(outputs["parquet"])
    assert frame["date"].dropna().map(type).eq(datetime.date).all()
    assert frame["date"].isna().sum() == 24 and frame["date"].iloc[1] == datetime.date(2024, 2, 2)
    for t in TAGS:
        assert frame[t].dtype == bool and frame[f"{t}_score"].dtype == "float64"
        assert str(frame[f"{t}_start"].dtype) == "Int64" and str(frame[f"{t}_end"].dtype) == "Int64"
        assert frame[f"{t}_start"].isna().sum() == (~frame[t]).sum()  # a span only when given


def test_sqlite_documents_table_has_the_layout_and_the_text(outputs):
    db = sqlite3.connect(outputs["sqlite"])
    info = [(r[1], r[2]) for r in db.execute("PRAGMA table_info(documents)")]
    assert [n for n, _ in info] == [*columns(), "text"]
    kinds = dict(info)
    assert [kinds[c] for c in record_columns(TAGS[0])] == ["INTEGER", "REAL", "TEXT", "INTEGER",
                                                           "INTEGER"]
    jsonl = [json.loads(line) for line in outputs["jsonl"].read_text().splitlines()]
    got = db.execute(f"SELECT {', '.join(chr(34) + c + chr(34) for c in columns())} "
                     "FROM documents ORDER BY rowid").fetchall()
    assert [list(r) for r in got] == [[int(v) if isinstance(v, bool) else v for v in r.values()]
                                      for r in jsonl]
    facts = dict(db.execute("SELECT key, value FROM archive"))
    assert json.loads(facts["keep"]) == ["words", "lang"]


def test_metadata_beside_jsonl_and_csv_and_the_drift_report_name_the_model(outputs, fixture_model):
    parquet = __import__("pyarrow.parquet").parquet.read_schema(outputs["parquet"]).metadata
    for fmt in ("jsonl", "csv"):
        meta = json.loads(outputs[fmt].with_name(f"tags.{fmt}.meta.json").read_text())
        assert meta == json.loads(parquet[b"tagger"])
        assert meta["columns"] == columns()
    drift = json.loads(outputs["jsonl"].with_name("tags.jsonl.drift.json").read_text())
    assert drift["model"] == model_digest(fixture_model)
    datasette = json.loads(outputs["sqlite"].with_name("tags.sqlite.datasette.json").read_text())
    table = datasette["databases"]["tags"]["tables"]["documents"]
    assert table["facets"] == ["source", {"date": "date"}, *TAGS]


@pytest.mark.parametrize("how", [["--format", "csv-excel"], ["--bom"]])
def test_csv_for_excel_starts_with_a_bom_and_adds_to_itself(articles, fixture_model, tmp_path, how):
    out = tmp_path / "excel.csv"
    assert run("tag", articles[0], "--out", out, "-m", fixture_model, "-q", *how).exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,date,title,source,url,model,")
    assert raw.count(b"\xef\xbb\xbf") == 1
    plain = tmp_path / "plain.csv"
    assert run("tag", articles[0], "--out", plain, "-m", fixture_model, "-q").exit_code == 0
    assert raw[3:] == plain.read_bytes()
    again = run("tag", articles[0], "--out", out, "-m", fixture_model, "-q", "--incremental", *how)
    assert again.exit_code == 0, again.output
    assert out.read_bytes() == raw  # nothing new: as it was


def test_bom_is_for_csv_only(articles, fixture_model, tmp_path):
    result = run("tag", articles[0], "--out", tmp_path / "x.jsonl", "-m", fixture_model, "--bom")
    assert result.exit_code == 2 and "--bom is for a CSV output" in result.output
    assert not list(tmp_path.iterdir())


def test_predict_prints_the_records_tag_writes(outputs, articles, fixture_model):
    for fmt in ("jsonl", "csv"):
        printed = run("predict", articles[0], "-m", fixture_model, "-f", fmt,
                      "--keep", "words", "--keep", "lang")
        assert printed.exit_code == 0, printed.output
        assert printed.output == outputs[fmt].read_text()
    as_json = json.loads(run("predict", articles[0], "-m", fixture_model, "-f", "json",
                             "--keep", "words", "--keep", "lang").output)
    assert as_json == [json.loads(line) for line in outputs["jsonl"].read_text().splitlines()]


@pytest.mark.parametrize("field", ["title", "model", "id", f"{TAGS[0]}_score"])
def test_keeping_a_column_every_record_has_is_refused(articles, fixture_model, tmp_path, field):
    result = run("tag", articles[0], "--out", tmp_path / "x.jsonl", "-m", fixture_model,
                 "--keep", field)
    one_line_error(result, f"'{field}' is a column of every record already")
    assert not list(tmp_path.iterdir())


def old_archives(folder):
    """Archives as tagger wrote them before the record layout (issue 23)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    evidence = [f"{t}.{f}" for t in TAGS for f in ("evidence", "start", "end")]
    jsonl = folder / "old.jsonl"
    jsonl.write_text(json.dumps({"id": "fx000", "tags": [], "scores": {t: 0.1 for t in TAGS},
                                 "evidence": {}}) + "\n")
    csv_file = folder / "old.csv"
    csv_file.write_text(",".join(["id", "date", "tags", *TAGS, *evidence]) + "\n"
                        + ",".join(["fx000", "", "", *["0.1"] * 4, *[""] * 12]) + "\n")
    parquet = folder / "old.parquet"
    pq.write_table(pa.table({"id": ["fx000"], "date": [None], "tags": [[]],
                             **{t: [0.1] for t in TAGS}}), parquet)
    return [jsonl, csv_file, parquet]


def test_an_archive_in_the_old_layout_is_refused_in_one_line_and_left_alone(
        articles, fixture_model, tmp_path):
    for old in old_archives(tmp_path):
        before = old.read_bytes()
        result = run("tag", articles[0], "--out", old, "-m", fixture_model, "--incremental")
        one_line_error(result, str(old), "is in the record layout of an earlier tagger")
        assert old.read_bytes() == before
        assert not old.with_name(old.name + ".parts").exists()


def test_a_jsonl_archive_of_another_model_is_refused(articles, fixture_model, tmp_path):
    out = tmp_path / "a.jsonl"
    assert run("tag", articles[0], "--out", out, "-m", fixture_model, "-q").exit_code == 0
    text = out.read_text()
    fingerprint = model_digest(fixture_model)
    out.write_text(text.replace(fingerprint, "0" * 64))
    result = run("tag", articles[0], "--out", out, "-m", fixture_model, "--incremental")
    one_line_error(result, f"{out}, line 1: was tagged with model {'0' * 64}, not with this "
                           f"model {fingerprint}")


def test_browse_loads_a_jsonl_archive_into_a_temporary_sqlite_one(outputs, articles,
                                                                  fixture_model, tmp_path):
    from starlette.testclient import TestClient

    from tagger.app.browse import create_browse_app
    from tagger.app.browsedb import Archive
    from tagger.io.archiveload import as_sqlite

    # with the text kept, search finds a word of an article's text
    kept = tmp_path / "kept.jsonl"
    assert run("tag", articles[0], "--out", kept, "-m", fixture_model, "-q",
               "--keep", "text").exit_code == 0
    for path, text in ((outputs["jsonl"], False), (kept, True)):
        folder = tmp_path / ("a" if text else "b")
        folder.mkdir()
        loaded = as_sqlite(path, folder)
        assert loaded.name == path.name and loaded != path
        archive = Archive(loaded)
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        counts = archive.tag_counts()
        assert counts[""] == len(rows)
        assert all(counts[t] == sum(r[t] for r in rows) for t in TAGS)
        token = "t0ken"
        client = TestClient(create_browse_app(archive, token=token),
                            base_url="http://127.0.0.1:8766",
                            headers={"Authorization": f"Bearer {token}"})
        assert f"{len(rows)} documents" in client.get("/").text
        word = articles[1][5]["text"].split()[1]
        found = client.get("/list", params={"q": word}).text
        assert ('data-id="fx005"' in found) == text  # only the titles without the text
        assert 'data-id="fx005"' in client.get("/list", params={"q": "Report 5"}).text
    assert as_sqlite(outputs["sqlite"], tmp_path) == outputs["sqlite"]


def test_browse_of_a_jsonl_archive_without_its_metadata_says_so(outputs, tmp_path):
    from tagger.errors import InputError
    from tagger.io.archiveload import as_sqlite

    alone = tmp_path / "alone.jsonl"
    alone.write_bytes(outputs["jsonl"].read_bytes())
    with pytest.raises(InputError, match="has no alone.jsonl.meta.json beside it"):
        as_sqlite(alone, tmp_path / "tmp")


def test_csv_and_parquet_archives_load_as_the_jsonl_one_does(outputs, tmp_path):
    from tagger.io.archiveload import as_sqlite

    def rows(path):
        folder = tmp_path / path.suffix[1:]
        folder.mkdir()
        db = sqlite3.connect(as_sqlite(path, folder))
        names = ", ".join(f'"{c}"' for c in columns() if c not in ("title", "words", "lang"))
        return db.execute(f"SELECT {names} FROM documents ORDER BY rowid").fetchall()

    reference = rows(outputs["jsonl"])
    assert rows(outputs["csv"]) == reference and rows(outputs["parquet"]) == reference


def test_browse_csv_download_is_in_the_record_layout(outputs):
    from starlette.testclient import TestClient

    from tagger.app.browse import create_browse_app
    from tagger.app.browsedb import Archive

    client = TestClient(create_browse_app(Archive(outputs["sqlite"]), token="t"),
                        base_url="http://127.0.0.1:8766", headers={"Authorization": "Bearer t"})
    got = client.get("/export.csv")
    assert got.status_code == 200 and got.content.startswith(b"\xef\xbb\xbfid,date,")
    rows = list(csv.DictReader(io.StringIO(got.text.lstrip("\ufeff"))))
    tagged = {r["id"]: r for r in csv.DictReader(io.StringIO(outputs["csv"].read_text()))}
    assert list(rows[0]) == columns()
    assert sorted(rows, key=lambda r: r["id"]) == sorted(tagged.values(), key=lambda r: r["id"])
