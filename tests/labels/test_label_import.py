"""Importing labels into the label database: whole or not at all, and only once."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from conftest import FIXTURE_ARTICLES, FIXTURE_EVIDENCE, FIXTURE_LABELS, SCHEMA, TAGS
from tagger import attach_labels, read_documents
from tagger.cli import main
from tagger.errors import DecisionError
from tagger.labels.attach import labelled
from tagger.labels.database import LabelDB
from tagger.labels.resolve import import_labelled, resolve


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def import_cli(db, *label_files):
    return run("label", "import", "--db", db, "--data", FIXTURE_ARTICLES, "--tags", SCHEMA,
               *[a for f in label_files for a in ("--labels", f)])


def with_evidence_ids():
    return {json.loads(line)["id"] for line in FIXTURE_EVIDENCE.read_text().splitlines()}


@pytest.mark.parametrize("order", ["csv first", "evidence first"])
def test_a_csv_and_its_evidence_are_imported_together_in_any_order(tmp_path, order):
    files = [FIXTURE_LABELS, FIXTURE_EVIDENCE]
    result = import_cli(tmp_path / "l.db", *(files if order == "csv first" else files[::-1]))
    assert result.exit_code == 0, result.output
    n = len(FIXTURE_LABELS.read_text().splitlines()) - 1
    assert result.output.startswith(f"imported {n} labels ({len(with_evidence_ids())} with "
                                    "evidence), 0 already there")
    got = resolve(LabelDB(tmp_path / "l.db", create=False))
    assert len(got.labels) == n
    # every tagged document with evidence in the file has it in the database, per tag
    assert {d for d, e in got.evidence.items() if e} == with_evidence_ids()
    assert all(set(got.evidence[d]) <= set(got.labels[d]) for d in got.labels)

    again = import_cli(tmp_path / "l.db", *files)
    assert again.exit_code == 0 and "imported 0 labels (0 with evidence), " \
                                     f"{n} already there" in again.output
    assert len(LabelDB(tmp_path / "l.db", create=False).log()) == n


def bad_evidence(tmp_path):
    """Evidence for a tag the CSV does not give its article (the README's old failure)."""
    untagged = next(line.split(",")[0] for line in FIXTURE_LABELS.read_text().splitlines()[1:]
                    if line.endswith(","))
    doc = next(d for d in read_documents([FIXTURE_ARTICLES]) if d.id == untagged)
    path = tmp_path / "bad-evidence.jsonl"
    shutil.copy(FIXTURE_EVIDENCE, path)
    with path.open("a") as fh:
        sentence = doc.text.split(".")[0] + "."
        fh.write(json.dumps({"id": untagged, "tag": "missile_strikes", "evidence": [sentence]})
                 + "\n")
    return path


def test_a_bad_file_leaves_the_database_byte_for_byte_as_it_was(tmp_path):
    db = tmp_path / "l.db"
    first = import_cli(db, FIXTURE_LABELS)  # the labels alone, without their evidence
    assert first.exit_code == 0, first.output
    before = db.read_bytes()
    bad = bad_evidence(tmp_path)
    for files in ([FIXTURE_LABELS, bad], [bad, FIXTURE_LABELS]):
        result = import_cli(db, *files)
        assert result.exit_code == 1
        assert result.output.startswith(f"Error: {bad}, line 42:") and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1
        assert db.read_bytes() == before
        assert not (tmp_path / "l.db-wal").exists() or not (tmp_path / "l.db-wal").stat().st_size


def test_a_bad_file_creates_no_database(tmp_path):
    result = import_cli(tmp_path / "new.db", FIXTURE_LABELS, bad_evidence(tmp_path))
    assert result.exit_code == 1
    assert not (tmp_path / "new.db").exists()


def test_the_labelling_page_imports_all_or_nothing_before_it_serves(tmp_path):
    db = tmp_path / "l.db"
    import_cli(db, FIXTURE_LABELS)
    before = db.read_bytes()
    result = run("label", "--data", FIXTURE_ARTICLES, "--db", db, "--tags", SCHEMA, "--no-model",
                 "--labels", FIXTURE_LABELS, "--labels", bad_evidence(tmp_path), "--port", "0")
    assert result.exit_code == 1 and "bad-evidence.jsonl, line 42" in result.output
    assert db.read_bytes() == before


def test_a_decision_that_cannot_be_stored_stops_the_import_before_any_write(tmp_path):
    docs = labelled(attach_labels(read_documents([FIXTURE_ARTICLES]),
                                  [FIXTURE_LABELS, FIXTURE_EVIDENCE], known_tags=TAGS))
    assert import_labelled(tmp_path / "l.db", docs[:5], origin="import").labels == 5
    before = (tmp_path / "l.db").read_bytes()
    too_long = docs[5:] + [docs[0].__class__(id="x" * 30_000, text="t", tags=())]
    with pytest.raises(DecisionError):
        import_labelled(tmp_path / "l.db", too_long, origin="import")
    assert (tmp_path / "l.db").read_bytes() == before
    with pytest.raises(DecisionError):
        import_labelled(tmp_path / "none.db", too_long, origin="import")
    assert not (tmp_path / "none.db").exists()


def test_labels_stored_by_hand_are_not_imported_over_nor_counted_as_there(tmp_path):
    docs = labelled(attach_labels(read_documents([FIXTURE_ARTICLES]), [FIXTURE_LABELS],
                                  known_tags=TAGS))
    assert import_labelled(tmp_path / "l.db", docs, origin="import a").already == 0
    done = import_labelled(tmp_path / "l.db", docs, origin="import b", annotator="someone")
    assert (done.labels, done.already) == (len(docs), 0)  # another annotator's: all new
