import re

import pytest

from conftest import REFERENCE_LABELS, REPO, SCHEMA, SEEDS, SHARED, TAGS
from tagger.errors import InputError, LabelError
from tagger.io.documents import read_documents
from tagger.io.records import Document
from tagger.labels.attach import attach_labels, binarize, read_labels
from tagger.labels.tagschema import load_schema


def test_schema_lists_the_four_tags_of_the_labelling_guide(shared_dir):
    schema = load_schema(SCHEMA)
    assert schema.ids == TAGS
    guide_tags = re.findall(r"^## `(\w+)`", (shared_dir / "LABELING.md").read_text(), re.M)
    assert schema.ids == guide_tags
    assert all(t.name and len(t.description) > 100 for t in schema.tags)


def test_schema_errors_name_the_file(tmp_path):
    p = tmp_path / "tags.toml"
    p.write_text('[[tag]]\nid = "a"\n[[tag]]\nid = "a"\n')
    with pytest.raises(InputError, match=r"tags\.toml: tag 'a' is listed twice"):
        load_schema(p)


def test_schema_keywords_and_context_are_read_as_phrases(tmp_path):
    p = tmp_path / "tags.toml"
    p.write_text('[[tag]]\nid = "a"\nkeywords = ["Air  defence", "IRIS-T", "IRIS-T"]\n'
                 'context = ["sent"]\n[[tag]]\nid = "b"\n')
    a, b = load_schema(p).tags
    assert a.keywords == ("Air defence", "IRIS-T") and a.context == ("sent",)
    assert b.keywords == () and b.context == ()
    shipped = load_schema(SCHEMA).tags
    assert all(t.keywords and t.context for t in shipped)


@pytest.mark.parametrize("body, message", [
    ('keywords = "missile"', r"tag 'x': 'keywords' must be a list of strings"),
    ('keywords = ["missile", 3]', r"tag 'x': 'keywords' must be a list of strings"),
    ('keywords = ["a", "missile"]', r"tag 'x': keywords entry 'a' has no word of two or more"),
    ('context = ["sent"]', r"tag 'x' has 'context' words but no 'keywords'"),
])
def test_bad_schema_keywords_are_one_line_errors_naming_the_file(tmp_path, body, message):
    p = tmp_path / "tags.toml"
    p.write_text(f'[[tag]]\nid = "x"\n{body}\n')
    with pytest.raises(InputError, match=r"tags\.toml: " + message):
        load_schema(p)


def test_label_file_format(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("id,tags\na,missile_strikes;energy_attacks\nb,\n")
    assert read_labels(p, known_tags=TAGS) == {"a": ("missile_strikes", "energy_attacks"), "b": ()}


def test_unknown_tag_names_file_and_line(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("id,tags\na,missile_strikes\nb,drones\n")
    with pytest.raises(LabelError, match=r"l\.csv, line 3: unknown tag 'drones'"):
        read_labels(p, known_tags=TAGS)


def test_duplicate_id_names_file_and_line(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("id,tags\na,\nb,\na,energy_attacks\n")
    with pytest.raises(LabelError, match=r"l\.csv, line 4: duplicate id 'a'"):
        read_labels(p)


def test_label_for_a_document_not_in_the_data_names_file_and_line(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("id,tags\nx,\nghost,missile_strikes\n")
    docs = [Document(id="x", text="t")]
    with pytest.raises(LabelError, match=r"l\.csv, line 3: id 'ghost' is not among the documents given"):
        attach_labels(docs, [p])


def test_unlabelled_documents_stay_unlabelled_and_empty_cells_are_negatives(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("id,tags\nx,\n")
    docs = attach_labels([Document(id="x", text="t"), Document(id="y", text="u")], [p])
    assert [d.tags for d in docs] == [(), None]
    assert binarize(docs[:1], TAGS).tolist() == [[0, 0, 0, 0]]


def test_shipped_labels_are_valid_and_match_the_data(corpus_path):
    assert REFERENCE_LABELS.read_bytes() == (SHARED / "labels" / "reference-train.csv").read_bytes()
    docs = read_documents([corpus_path, SEEDS])
    docs = attach_labels(docs, [REFERENCE_LABELS, REPO / "labels" / "seeds.csv"], known_tags=TAGS)
    labelled = {d.id: d.tags for d in docs if d.tags is not None}
    assert len(labelled) == 453
    # the worked examples of the labelling guide
    assert labelled["004_40f943de2ae17bec"] == ("missile_strikes", "air_defence_aid")
    assert set(labelled["001_1f7d3d118abbfb20"]) == set(TAGS)
    assert sorted(p.name for p in SEEDS.iterdir()) == sorted(p.name for p in (SHARED / "seeds").iterdir())
