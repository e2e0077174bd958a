"""Labels that carry their evidence sentences: read, attached, and checked where they enter."""

import json

import pytest

from conftest import REPO, SEEDS, TAGS
from tagger import attach_labels, read_documents
from tagger.errors import LabelError

LABELS = REPO / "labels"
TEXT = "Missiles struck Kyiv overnight. Germany sent two IRIS-T systems. Rain fell."


@pytest.fixture
def docs(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"id": "a", "title": "Strikes and aid", "text": TEXT}) + "\n"
                    + json.dumps({"id": "b", "text": "Nothing of note happened."}) + "\n")
    return read_documents([data])


def write(path, *objs):
    path.write_text("".join(json.dumps(o) + "\n" for o in objs))
    return path


def test_jsonl_labels_carry_evidence_per_tag(docs, tmp_path):
    labels = write(tmp_path / "l.jsonl",
                   {"id": "a", "tags": ["missile_strikes", "air_defence_aid"],
                    "evidence": {"missile_strikes": ["Missiles struck Kyiv overnight."],
                                 "air_defence_aid": ["Germany sent two IRIS-T systems.", "Strikes and aid"]}},
                   {"id": "b", "tags": []})
    a, b = attach_labels(docs, [labels], known_tags=TAGS)
    assert a.tags == ("missile_strikes", "air_defence_aid") and b.tags == ()
    assert dict(a.evidence) == {"missile_strikes": ("Missiles struck Kyiv overnight.",),
                                "air_defence_aid": ("Germany sent two IRIS-T systems.", "Strikes and aid")}
    assert b.evidence == ()


def test_an_evidence_file_adds_sentences_to_labels_from_a_csv(docs, tmp_path):
    csv = tmp_path / "l.csv"
    csv.write_text("id,tags\na,missile_strikes\nb,\n")
    evidence = write(tmp_path / "l-evidence.jsonl",
                     {"id": "a", "tag": "missile_strikes", "evidence": ["Missiles struck Kyiv overnight."]})
    a, _ = attach_labels(docs, [csv, evidence], known_tags=TAGS)
    assert a.evidence == (("missile_strikes", ("Missiles struck Kyiv overnight.",)),)


@pytest.mark.parametrize("line, message", [
    ({"id": "a", "tag": "missile_strikes", "evidence": ["Missiles struck Lviv."]},
     "line 2: evidence sentence 'Missiles struck Lviv.' does not occur in document 'a'"),
    ({"id": "a", "tag": "energy_attacks", "evidence": ["Rain fell."]},
     "line 2: evidence for tag 'energy_attacks', which the label of 'a' does not give"),
    ({"id": "a", "tag": "made_up", "evidence": ["Rain fell."]},
     "line 2: unknown tag 'made_up' (known: missile_strikes, air_defence_aid, escalation_rhetoric, energy_attacks)"),
    ({"id": "a", "tag": "missile_strikes", "evidence": "Rain fell."},
     "line 2: evidence for 'missile_strikes' must be a list of non-empty strings"),
    ({"id": "zzz", "tags": ["missile_strikes"]}, "line 2: id 'zzz' is not among the documents given"),
    ({"what": 1}, "line 2: expected an object with a string 'id'"),
])
def test_bad_evidence_is_a_one_line_error_naming_file_and_line(docs, tmp_path, line, message):
    labels = write(tmp_path / "l.jsonl", {"id": "a", "tags": ["missile_strikes"]}, line)
    with pytest.raises(LabelError) as err:
        attach_labels(docs, [labels], known_tags=TAGS)
    assert str(err.value) == f"{labels}, {message}"


def test_the_seed_labels_come_with_evidence_for_every_tag():
    docs = attach_labels(read_documents([SEEDS]), [LABELS / "seeds.csv", LABELS / "seeds-evidence.jsonl"],
                         known_tags=TAGS)
    for d in docs:
        assert sorted(dict(d.evidence)) == sorted(d.tags), d.id


@pytest.mark.corpus
@pytest.mark.parametrize("corpus, labels", [
    ("ukraine-2022.jsonl", "reference-train"), ("economist-2023-2025.jsonl", "economist-random")])
def test_shipped_labels_and_their_evidence_agree_with_the_corpus(shared_dir, corpus, labels):
    docs = attach_labels(read_documents([shared_dir / "corpus" / corpus]),
                         [LABELS / f"{labels}.csv", LABELS / f"{labels}-evidence.jsonl"], known_tags=TAGS)
    labelled = [d for d in docs if d.tags is not None]
    given = sum(len(d.tags) for d in labelled)
    backed = sum(len(d.evidence) for d in labelled)
    assert (LABELS / f"{labels}.csv").read_bytes() == (shared_dir / "labels" / f"{labels}.csv").read_bytes()
    assert backed <= given and backed >= 0.95 * given  # the readers found evidence for almost all
