"""`tagger browse` in-process: its pages and API against an archive built in the agreed
layout (tests/archives.py), through the same guard as the labelling page."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3

import pytest
from click.testing import CliRunner

from archives import make_archive
from tagger.app.browse import create_browse_app
from tagger.app.browsedb import Archive
from tagger.cli import main
from tagger.labels.database import LabelDB

TAGS = ["missile_strikes", "energy_attacks"]
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
TOKEN = "s3cret-token"


def docs() -> list[dict]:
    out = []
    for k in range(30):
        sentence = f"Drones struck the power station number {k}."
        text = f"Intro paragraph {k} about the weather. {sentence} Closing words here."
        start = text.index(sentence)
        strike, energy = k % 3 == 0, k % 5 == 0
        out.append({"id": f"doc{k:02d}", "date": f"2023-{1 + k % 12:02d}-{1 + k % 27:02d}",
                    "title": f"Article {k}", "source": "wire" if k % 2 else "paper",
                    "url": f"https://example.org/{k}", "text": text,
                    "missile_strikes": int(strike), "missile_strikes_score": 0.9 if strike else 0.1,
                    "missile_strikes_evidence": sentence if strike else None,
                    "missile_strikes_start": start if strike else None,
                    "missile_strikes_end": start + len(sentence) if strike else None,
                    "energy_attacks": int(energy), "energy_attacks_score": 0.8 if energy else 0.2})
    out.append({"id": "hostile", "date": "2023-06-15", "title": HOSTILE, "source": "=cmd|' /C calc'!A0",
                "url": "javascript:alert(1)", "text": "Zanzibarite " + HOSTILE,
                "missile_strikes": 1, "missile_strikes_score": 0.7,
                "missile_strikes_evidence": HOSTILE, "missile_strikes_start": 10_000,
                "missile_strikes_end": 10_050, "energy_attacks_evidence": "not in the text",
                "energy_attacks_start": 3, "energy_attacks_end": 1})
    return out


RUNS = [{"finished": "2023-03-01T10:00:00Z", "drift": {"warning": False, "reasons": []}},
        {"finished": "2023-09-01T10:00:00Z",
         "drift": {"warning": True, "reasons": ["<b>41%</b> of words unseen in training"]}}]


@pytest.fixture
def archive(tmp_path):
    return make_archive(tmp_path / "archive.sqlite", docs(), TAGS, runs=RUNS)


def client(archive_path, labels=None, token=TOKEN):
    from starlette.testclient import TestClient

    app = create_browse_app(Archive(archive_path), labels=labels, annotator="ed", token=token)
    c = TestClient(app, base_url="http://127.0.0.1:8766")
    if token:
        c.headers["Authorization"] = f"Bearer {token}"
    return c


def test_front_page_counts_match_the_archive_and_marks_the_drift_warning(archive):
    page = client(archive).get("/")
    assert page.status_code == 200
    con = sqlite3.connect(archive)
    for t in TAGS:
        n = con.execute(f'SELECT count(*) FROM documents WHERE "{t}" = 1').fetchone()[0]
        assert re.search(rf'data-tag="{t}">{n}<', page.text), t
    assert f"{len(docs())} documents" in page.text
    assert page.text.count('class="drift"') == 1  # run 2 warned, run 1 did not
    assert "&lt;b&gt;41%&lt;/b&gt; of words unseen" in page.text and "<b>41%" not in page.text
    assert "<svg" in page.text and "per week" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_chart_sums_per_week_equal_the_tag_counts(archive):
    from tagger.app.browsechart import series

    data = series(Archive(archive))
    counts = Archive(archive).tag_counts()
    assert data["unit"] == "week"
    assert all(sum(data["counts"][t]) == counts[t] for t in TAGS)


def test_the_token_is_needed_and_set_as_a_cookie_by_the_address(archive):
    c = client(archive)
    del c.headers["Authorization"]
    assert c.get("/").status_code == 403
    opened = c.get(f"/?token={TOKEN}", follow_redirects=False)
    assert opened.status_code == 303 and "tagger_token" in opened.headers["set-cookie"]
    assert c.get("/").status_code == 200  # the cookie now


def test_search_finds_a_word_of_an_articles_text_and_filters_combine(archive):
    c = client(archive)
    found = c.get("/list", params={"q": "Zanzibarite"})
    assert found.status_code == 200 and 'data-id="hostile"' in found.text
    assert '<span id="total">1</span>' in found.text
    tagged = c.get("/list", params={"tag": "missile_strikes", "source": "paper",
                                    "from": "2023-01-01", "to": "2023-12-31",
                                    "min_score": "0.5"})
    expected = [d["id"] for d in docs() if d.get("missile_strikes") and d["source"] == "paper"]
    assert f'<span id="total">{len(expected)}</span>' in tagged.text
    assert set(re.findall(r'data-id="([^"]+)"', tagged.text)) == set(expected)


@pytest.mark.parametrize("q", ['"', 'power AND', 'NEAR(', '*', 'title:x', "a'b\"c) OR (",
                               '-drones', 'NOT'])
def test_quotes_and_operators_in_a_search_never_fail_the_server(archive, q):
    got = client(archive).get("/list", params={"q": q})
    assert got.status_code in (200, 400), got.text


@pytest.mark.parametrize("params", [{"tag": "nope"}, {"from": "2023-13-01"}, {"to": "yesterday"},
                                    {"min_score": "2"}, {"min_score": "nan"}, {"page": "0"},
                                    {"page": "x"}, {"q": "x" * 201}, {"q": "!!!"}])
def test_bad_filters_are_refused_with_a_reason(archive, params):
    got = client(archive).get("/list", params=params)
    assert got.status_code == 400 and got.text.startswith("refused:")


def test_paging(archive):
    c = client(archive)
    first = c.get("/list").text
    assert 'id="next"' not in first  # 31 documents, 50 a page
    assert c.get("/list", params={"page": "2"}).status_code == 200


def test_article_highlights_the_evidence_and_escapes_hostile_text(archive):
    c = client(archive)
    page = c.get("/doc/doc03").text
    assert '<mark class="ev" data-tags="missile_strikes"' in page
    assert re.search(r'<mark[^>]*>Drones struck the power station number 3\.</mark>', page)
    assert "0.900" in page
    hostile = c.get("/doc/hostile").text
    assert "<script>alert" not in hostile and "onerror=alert(1)>" not in hostile
    assert "&lt;script&gt;" in hostile
    # the offsets lie outside the text: the sentence is found by its text, and escaped
    assert re.search(r'<mark[^>]*>&lt;script&gt;alert\(&#34;x&#34;\)', hostile)
    assert 'data-tags="energy_attacks"' not in hostile  # no evidence: nothing marked
    assert "javascript:" not in hostile  # a url that is not http(s) is no link
    assert c.get("/doc/none-such").status_code == 404


def test_csv_of_the_filter_neutralises_formulas(archive):
    got = client(archive).get("/export.csv", params={"tag": "missile_strikes"})
    assert got.status_code == 200 and got.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(got.text.lstrip("\ufeff"))))
    assert {r["id"] for r in rows} == {d["id"] for d in docs() if d.get("missile_strikes")}
    hostile = next(r for r in rows if r["id"] == "hostile")
    assert hostile["source"].startswith("'=")


def test_without_a_label_database_the_buttons_are_absent_and_say_why(archive):
    c = client(archive)
    page = c.get("/doc/doc03").text
    assert "wrong tag" not in page and "Corrections are off" in page
    csrf = re.search(r'name="csrf" content="([^"]+)"', page).group(1)
    got = c.post("/api/correct", json={"id": "doc03", "tag": "missile_strikes", "kind": "wrong"},
                 headers={"X-CSRF-Token": csrf})
    assert got.status_code == 400 and "no label database" in got.json()["error"]


def test_a_correction_is_a_decision_that_label_export_reads(archive, tmp_path):
    db = tmp_path / "labels.db"
    c = client(archive, labels=LabelDB(db))
    page = c.get("/doc/doc15").text  # given missile_strikes and energy_attacks
    assert 'data-kind="wrong" data-tag="missile_strikes"' in page
    csrf = re.search(r'name="csrf" content="([^"]+)"', page).group(1)
    body = {"id": "doc15", "tag": "missile_strikes", "kind": "wrong"}
    assert c.post("/api/correct", json=body).status_code == 403  # no CSRF header
    saved = c.post("/api/correct", json=body, headers={"X-CSRF-Token": csrf})
    assert saved.status_code == 200, saved.text
    assert saved.json()["saved"]["tags"] == ["energy_attacks"]
    again = c.post("/api/correct", json={"id": "doc01", "tag": "energy_attacks",
                                         "kind": "missing"}, headers={"X-CSRF-Token": csrf})
    assert again.json()["saved"]["tags"] == ["energy_attacks"]
    bad = c.post("/api/correct", json={"id": "doc01", "tag": "energy_attacks",
                                       "kind": "missing"}, headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 400 and "already" in bad.json()["error"]
    stored = LabelDB(db).log()
    assert all(d.origin == "archive archive.sqlite" and d.annotator == "ed" for d in stored)
    assert stored[0].proposal == ("missile_strikes", "energy_attacks")
    assert stored[0].accepted == ("energy_attacks",)  # the model's, kept unchanged
    assert stored[1].accepted == ()                   # the person's own
    out = tmp_path / "export.jsonl"
    result = CliRunner().invoke(main, ["label", "export", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = {r["id"]: r["tags"] for r in map(json.loads, out.read_text().splitlines())}
    assert exported == {"doc15": ["energy_attacks"], "doc01": ["energy_attacks"]}
    assert "Your label in force (ed): energy_attacks" in c.get("/doc/doc15").text


def test_the_archive_is_opened_read_only_and_a_foreign_database_refused(archive, tmp_path):
    before = archive.read_bytes()
    client(archive).get("/list", params={"q": "drones"})
    assert archive.read_bytes() == before
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    runner = CliRunner()
    for path in (other, tmp_path / "missing.sqlite", tmp_path / "labels.db"):
        if path.name == "labels.db":
            LabelDB(path)
        result = runner.invoke(main, ["browse", str(path), "--port", "0"])
        assert result.exit_code == 1 and result.output.startswith("Error: ")
        assert str(path) in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_a_correction_is_read_by_training_and_the_page_offers_to_reverse_it(tmp_path):
    from archives import FIXTURE_TAGS, fixture_docs

    from conftest import FIXTURE_ARTICLES
    from tagger.io.documents import read_documents
    from tagger.labels.attach import attach_labels

    archive = make_archive(tmp_path / "archive.sqlite", fixture_docs(), FIXTURE_TAGS)
    db = tmp_path / "labels.db"
    c = client(archive, labels=LabelDB(db))
    page = c.get("/doc/fx011").text
    csrf = re.search(r'name="csrf" content="([^"]+)"', page).group(1)
    assert 'data-kind="wrong" data-tag="air_defence_aid"' in page
    saved = c.post("/api/correct", json={"id": "fx011", "tag": "air_defence_aid",
                                         "kind": "wrong"}, headers={"X-CSRF-Token": csrf})
    assert saved.status_code == 200, saved.text
    assert 'data-kind="missing" data-tag="air_defence_aid"' in c.get("/doc/fx011").text
    docs = attach_labels(read_documents([str(FIXTURE_ARTICLES)]), [str(db)],
                         known_tags=FIXTURE_TAGS)
    tagged = {d.id: d.tags for d in docs if d.tags is not None}
    assert tagged == {"fx011": ("escalation_rhetoric",)}


def test_an_empty_archive_and_a_damaged_file(tmp_path):
    empty = make_archive(tmp_path / "empty.sqlite", [], TAGS, runs=[])
    page = client(empty).get("/")
    assert page.status_code == 200 and "0 documents" in page.text
    assert "No dated documents to chart" in page.text
    assert client(empty).get("/list", params={"q": "anything"}).status_code == 200
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 600)
    result = CliRunner().invoke(main, ["browse", str(damaged)])
    assert result.exit_code == 1 and str(damaged) in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_an_unreadable_drift_report_is_shown_as_such(tmp_path):
    path = make_archive(tmp_path / "a.sqlite", docs(), TAGS, runs=RUNS)
    con = sqlite3.connect(path)
    con.execute("UPDATE runs SET drift = '{not json' WHERE run = 1")
    con.commit()
    con.close()
    page = client(path).get("/").text
    assert "drift report cannot be read" in page and page.count('class="drift"') == 2


def test_no_token_is_for_loopback_only(archive):
    result = CliRunner().invoke(main, ["browse", str(archive), "--host", "0.0.0.0",
                                       "--no-token"])
    assert result.exit_code == 2 and "only on loopback" in result.output
