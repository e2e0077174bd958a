"""The label database: an append-only log, the labels in force, export, import, training."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import FIXTURE_ARTICLES, FIXTURE_EVIDENCE, FIXTURE_LABELS, SCHEMA, TAGS, TRAIN_FIXTURE
from tagger import attach_labels, read_documents
from tagger.cli import main
from tagger.errors import DecisionError, InputError
from tagger.labels.database import Decision, LabelDB
from tagger.labels.resolve import export_labels, import_labels, resolve


def saved(doc_id, who, tags=(), evidence=()):
    return Decision(doc_id=doc_id, annotator=who, answer="saved", tags=tuple(tags),
                    evidence=tuple({"tag": t, "start": 0, "end": len(s), "text": s}
                                   for t, s in evidence))


def test_decisions_cannot_be_changed_or_deleted(tmp_path):
    db = LabelDB(tmp_path / "l.db")
    db.add(saved("a", "ann", ["missile_strikes"], [("missile_strikes", "A missile hit.")]))
    con = sqlite3.connect(tmp_path / "l.db")
    for sql in ("UPDATE decisions SET tags = '[]'", "DELETE FROM decisions"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute(sql)
    assert [d.tags for d in db.log()] == [("missile_strikes",)]


def test_undo_appends_and_the_label_in_force_goes_back_one_decision(tmp_path):
    db = LabelDB(tmp_path / "l.db")
    db.add(saved("a", "ann", ["missile_strikes"]))
    db.add(saved("a", "ann", ["energy_attacks"]))
    db.add(Decision(doc_id="b", annotator="ann", answer="skipped"))
    assert db.undo_last("ann").doc_id == "b"
    assert [(d.doc_id, d.tags) for d in db.current("ann")] == [("a", ("energy_attacks",))]
    assert db.undo_last("ann").tags == ("energy_attacks",)
    assert [(d.doc_id, d.tags) for d in db.current("ann")] == [("a", ("missile_strikes",))]
    assert db.undo_last("other") is None
    assert [d.answer for d in db.log()] == ["saved", "saved", "skipped", "undone", "undone"]


def test_a_decision_out_of_bounds_is_refused_before_it_is_stored(tmp_path):
    db = LabelDB(tmp_path / "l.db")
    with pytest.raises(DecisionError, match="evidence span needs a tag the decision gives"):
        db.add(saved("a", "ann", [], [("missile_strikes", "text")]))
    with pytest.raises(DecisionError, match="distinct"):
        db.add(saved("a", "ann", ["x", "x"]))
    with pytest.raises(DecisionError, match="annotator"):
        db.add(saved("a", " "))
    assert db.log() == []


def test_a_file_that_is_not_a_label_database_is_refused_by_name(tmp_path):
    (tmp_path / "notes.db").write_text("not sqlite at all, just text")
    with pytest.raises(InputError, match="notes.db: is not a label database"):
        LabelDB(tmp_path / "notes.db")
    other = sqlite3.connect(tmp_path / "other.db")
    other.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    other.execute("INSERT INTO meta VALUES ('format', 'something-else')")
    other.commit()
    with pytest.raises(InputError, match="other.db: is an SQLite database, but not a tagger label"):
        LabelDB(tmp_path / "other.db")
    with pytest.raises(InputError, match="missing.db: does not exist"):
        LabelDB(tmp_path / "missing.db", create=False)


def test_export_adjudicated_wins_agreement_pools_evidence_disputes_are_left_out(tmp_path):
    db = LabelDB(tmp_path / "l.db")
    db.add(saved("agree", "ann", ["missile_strikes"], [("missile_strikes", "One.")]))
    db.add(saved("agree", "bob", ["missile_strikes"], [("missile_strikes", "Two.")]))
    db.add(saved("dispute", "ann", ["energy_attacks"], [("energy_attacks", "Dark.")]))
    db.add(saved("dispute", "bob", []))
    db.add(saved("settled", "ann", ["energy_attacks"], [("energy_attacks", "Grid.")]))
    db.add(saved("settled", "bob", []))
    db.add(Decision(doc_id="settled", annotator="rev", answer="adjudicated", tags=()))
    db.add(Decision(doc_id="skipped", annotator="ann", answer="skipped"))
    out = tmp_path / "new.jsonl"
    resolved = export_labels(db, out)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == [{"id": "agree", "tags": ["missile_strikes"],
                     "evidence": {"missile_strikes": ["One.", "Two."]}},
                    {"id": "settled", "tags": []}]
    assert resolved.disputed == ["dispute"] and resolved.adjudicated == 1
    export_labels(db, tmp_path / "new.csv")
    assert (tmp_path / "new.csv").read_text() == "id,tags\nagree,missile_strikes\nsettled,\n"
    only_ann = resolve(db, annotator="ann")
    assert only_ann.labels == {"agree": ("missile_strikes",), "dispute": ("energy_attacks",),
                               "settled": ("energy_attacks",)}


def test_export_refuses_to_overwrite_its_own_database(tmp_path):
    db = LabelDB(tmp_path / "l.jsonl.db")
    with pytest.raises(InputError, match="exported as .jsonl"):
        export_labels(db, tmp_path / "out.txt")
    before = (tmp_path / "l.jsonl.db").read_bytes()
    with pytest.raises(Exception, match="input"):
        export_labels(db, tmp_path / "l.jsonl.db", fmt="jsonl")
    assert (tmp_path / "l.jsonl.db").read_bytes() == before


@pytest.fixture(scope="module")
def fixture_labelled():
    docs = read_documents([FIXTURE_ARTICLES])
    return attach_labels(docs, [FIXTURE_LABELS, FIXTURE_EVIDENCE], known_tags=TAGS)


def test_import_then_export_gives_back_the_labels_and_their_evidence(tmp_path, fixture_labelled):
    db = LabelDB(tmp_path / "l.db")
    assert import_labels(db, fixture_labelled, origin="import fixtures") == len(fixture_labelled)
    assert import_labels(db, fixture_labelled, origin="import fixtures") == 0  # no duplicates
    export_labels(db, tmp_path / "back.jsonl")
    again = attach_labels(read_documents([FIXTURE_ARTICLES]), [tmp_path / "back.jsonl"],
                          known_tags=TAGS)
    assert {d.id: d.tags for d in again} == {d.id: d.tags for d in fixture_labelled}
    assert {d.id: d.evidence for d in again} == {d.id: d.evidence for d in fixture_labelled}


def test_train_reads_the_database_as_it_reads_the_label_files(tmp_path, fixture_labelled,
                                                               sentence_model):
    db = LabelDB(tmp_path / "labels.db")
    import_labels(db, fixture_labelled, origin="import fixtures")
    # the sentence_model fixture's command, with the database in place of its label files
    args = [str(tmp_path / "labels.db") if a == str(FIXTURE_LABELS) else a for a in TRAIN_FIXTURE]
    result = CliRunner().invoke(main, [*args, "--sentences", "--folds", "2",
                                       "--model", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m" / "arrays.npz").read_bytes() == (sentence_model / "arrays.npz").read_bytes()


def test_train_names_a_database_that_is_not_one(tmp_path):
    (tmp_path / "labels.db").write_bytes(b"\x00garbage" * 10)
    result = CliRunner().invoke(main, ["train", "--data", str(FIXTURE_ARTICLES), "--tags", str(SCHEMA),
                                       "--labels", str(tmp_path / "labels.db"),
                                       "--model", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "labels.db: is not a label database" in result.output
    assert "Traceback" not in result.output


def test_stats_gives_kappa_and_f1_per_tag_and_lists_disagreements(tmp_path):
    db = LabelDB(tmp_path / "l.db")
    ann = [["missile_strikes"], ["missile_strikes"], [], [], ["energy_attacks"], []]
    bob = [["missile_strikes"], [], [], ["missile_strikes"], ["energy_attacks"], []]
    for i, (a, b) in enumerate(zip(ann, bob)):
        db.add(saved(f"d{i}", "ann", a))
        db.add(saved(f"d{i}", "bob", b))
    db.add(saved("only-ann", "ann", ["missile_strikes"]))
    db.add(Decision(doc_id="d3", annotator="rev", answer="adjudicated", tags=()))
    result = CliRunner().invoke(main, ["label", "stats", "--db", str(tmp_path / "l.db"),
                                       "--tags", str(SCHEMA), "--format", "json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    (pair,) = stats["pairs"]
    assert pair["annotators"] == ["ann", "bob"] and pair["n_docs"] == 6
    # missile_strikes: each gives it to 2 of 6 (both on d0); they agree on d0, d2, d4, d5
    p_observed, p_chance = 4 / 6, (2 / 6) * (2 / 6) + (4 / 6) * (4 / 6)
    m = pair["per_tag"]["missile_strikes"]
    assert m["kappa"] == pytest.approx((p_observed - p_chance) / (1 - p_chance))
    assert m["f1"] == pytest.approx(2 * 1 / (2 + 2)) and (m["only_first"], m["only_second"]) == (1, 1)
    assert pair["per_tag"]["energy_attacks"]["kappa"] == pytest.approx(1.0)
    assert pair["per_tag"]["air_defence_aid"]["kappa"] is None  # nobody gave it: undefined
    assert stats["annotators"]["ann"]["labelled"] == 7
    assert [(d["id"], d["adjudicated"]) for d in stats["disagreements"]] == [("d1", False), ("d3", True)]
    text = CliRunner().invoke(main, ["label", "stats", "--db", str(tmp_path / "l.db")]).output
    assert "agreement, ann vs bob, on 6 documents both labelled" in text
    assert "d1  ann: missile_strikes; bob: (no tag)" in text


def test_label_export_command_writes_the_file_and_counts_what_it_left_out(tmp_path):
    db = LabelDB(tmp_path / "l.db")
    db.add(saved("a", "ann", ["missile_strikes"], [("missile_strikes", "Hit.")]))
    db.add(saved("b", "ann", ["missile_strikes"]))
    db.add(saved("b", "bob", []))
    out = tmp_path / "labels" / "new.jsonl"
    result = CliRunner().invoke(main, ["label", "export", "--db", str(tmp_path / "l.db"),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "exported 1 labels (1 with evidence, 0 adjudicated)" in result.output
    assert "left out 1 documents whose annotators disagree" in result.output
    assert json.loads(out.read_text()) == {"id": "a", "tags": ["missile_strikes"],
                                           "evidence": {"missile_strikes": ["Hit."]}}
    missing = CliRunner().invoke(main, ["label", "export", "--db", str(tmp_path / "no.db"),
                                        "--out", str(out)])
    assert missing.exit_code == 2 and "does not exist" in missing.output


V1_FIXTURE = FIXTURE_ARTICLES.parent / "labels-v1.db"


def test_a_version_1_database_is_migrated_in_place_and_loses_nothing(tmp_path):
    """labels-v1.db was written by tagger's label app before accepted proposals were
    recorded (version 1: imports, saves, a skip, an undo, a disagreement, an adjudication)."""
    import shutil

    from tagger.labels.database import MIGRATIONS, VERSION

    path = tmp_path / "labels.db"
    shutil.copyfile(V1_FIXTURE, path)
    raw = sqlite3.connect(path)
    before = [tuple(r) for r in raw.execute("SELECT * FROM decisions ORDER BY seq")]
    secret = raw.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
    claims = raw.execute("SELECT * FROM claims").fetchall()
    raw.close()
    assert len(before) == 14 and {r[3] for r in before} == {"saved", "skipped", "undone",
                                                           "adjudicated"}
    db = LabelDB(path)
    assert db.migrated == [m.__name__ for m in MIGRATIONS[1:]]  # the first is version 1
    raw = sqlite3.connect(path)
    after = raw.execute("SELECT * FROM decisions ORDER BY seq").fetchall()
    assert [r[:len(before[0])] for r in after] == before  # every row, every field, kept
    assert raw.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == (str(VERSION),)
    assert raw.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone() == secret
    assert raw.execute("SELECT * FROM claims").fetchall() == claims
    assert [r[0] for r in raw.execute("SELECT name FROM migrations ORDER BY rowid")] == \
        [m.__name__ for m in MIGRATIONS]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("UPDATE decisions SET accepted = '[]'")
    raw.close()
    log = db.log()
    assert all(d.accepted is None and d.proposal is None for d in log)  # not recorded then
    assert resolve(db).labels["fx007"] == ("escalation_rhetoric",)  # the adjudication
    assert resolve(db).disputed == [] and "fx010" in resolve(db).labels
    assert [(d.doc_id, d.answer) for d in db.current("ann")] == [
        ("fx000", "saved"), ("fx001", "skipped"), ("fx007", "saved"), ("fx010", "saved"),
        ("fx002", "skipped")]
    new = db.add(saved("fx003", "ann", ["missile_strikes"]))
    assert new.seq == 15 and db.log()[-1].accepted == ()
    bytes_now = path.read_bytes()
    assert LabelDB(path).migrated == [] and path.read_bytes() == bytes_now  # once only


def test_a_database_from_a_newer_tagger_is_refused_by_name(tmp_path):
    db = LabelDB(tmp_path / "l.db")
    con = sqlite3.connect(db.path)
    con.execute("INSERT INTO migrations VALUES ('m999_future', 'then')")
    con.commit()
    con.close()
    with pytest.raises(InputError, match=r"l.db: has migrations this tagger does not know "
                                         r"\(m999_future\): it was written by a newer tagger"):
        LabelDB(tmp_path / "l.db")


def test_an_sqlite_file_of_something_else_is_left_untouched(tmp_path):
    path = tmp_path / "app.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (name TEXT)")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(InputError, match="not a tagger label database"):
        LabelDB(path)
    assert path.read_bytes() == before


def test_decisions_are_synced_to_disk_claims_need_not_be(tmp_path):
    db = LabelDB(tmp_path / "l.db")
    with db.transaction() as con:  # what every decision is written in
        assert con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with db.transaction(durable=False) as con:
        assert con.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    with db.transaction() as con:  # each transaction has its own connection
        assert con.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_a_migration_that_fails_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    import shutil

    from tagger.labels import migrations

    path = tmp_path / "labels.db"
    shutil.copyfile(V1_FIXTURE, path)
    before = path.read_bytes()

    def m999_broken(con):
        con.execute("ALTER TABLE decisions ADD COLUMN note TEXT")
        con.execute("SELECT * FROM no_such_table")  # fails after a change

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m999_broken])
    with pytest.raises(InputError, match="labels.db: cannot be used as a label database"):
        LabelDB(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    raw = sqlite3.connect(path)
    assert "note" not in [r[1] for r in raw.execute("PRAGMA table_info(decisions)")]
    assert "migrations" not in {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
    raw.close()
