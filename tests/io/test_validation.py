"""Data validated where it enters by msgspec Structs (tags.toml, label JSONL, a model's
settings), each refusal a one-line error in the file's own words."""

from __future__ import annotations

import json
from dataclasses import fields

import msgspec
import pytest

from conftest import TAGS
from tagger.config import SAVED_SETTINGS, Settings
from tagger import read_documents
from tagger.io.documents import iter_documents_lenient
from tagger.errors import InputError, LabelError, SettingsError
from tagger.labels.jsonl import read_jsonl_labels
from tagger.labels.tagschema import load_schema
from tagger.structs import Invalid, convert


class Inner(msgspec.Struct):
    id: str


class Outer(msgspec.Struct):
    items: list[Inner]
    notes: dict[str, list[int]] = {}


def test_a_failed_conversion_says_where():
    for value, at, missing in [({"items": [{"id": "a"}, {"id": 3}]}, ("items", 1, "id"), False),
                               ({"items": [{}]}, ("items", 0, "id"), True),
                               ({"items": [], "notes": {"k": ["x"]}}, ("notes", "...", 0), False),
                               ([], (), False)]:
        with pytest.raises(Invalid) as err:
            convert(value, Outer)
        assert (err.value.at, err.value.missing) == (at, missing)


@pytest.mark.parametrize("line, message", [
    ({"id": "a", "tags": "x"}, "'tags' must be a list of non-empty strings"),
    ({"id": "a", "tags": ["x", " "]}, "'tags' must be a list of non-empty strings"),
    ({"id": "a", "tags": False}, "'tags' must be a list of non-empty strings"),
    ({"id": "a", "tags": ["missile_strikes"], "evidence": ["Rain fell."]},
     "'evidence' must map tags to lists of sentences"),
    ({"id": "a", "tags": ["missile_strikes"], "evidence": {"missile_strikes": ["ok"],
                                                           "energy_attacks": [3]}},
     "evidence for 'energy_attacks' must be a list of non-empty strings"),
    # an unknown tag is named before the shape of its sentences, as it always was
    ({"evidence": {"made_up": 1}, "tags": ["missile_strikes"], "id": "a"},
     "unknown tag 'made_up' (known: missile_strikes, air_defence_aid, escalation_rhetoric, "
     "energy_attacks)"),
    ({"id": "a", "tag": "missile_strikes"},
     "evidence for 'missile_strikes' must be a list of non-empty strings"),
    ({"id": "a", "tag": 5, "evidence": ["Rain fell."]}, "unknown tag 5 (known: missile_strikes, "
     "air_defence_aid, escalation_rhetoric, energy_attacks)"),
    ({"id": " ", "tags": []}, "expected an object with a string 'id'"),
    ({"id": "a"}, "expected 'tags' (a label) or 'tag' (its evidence)"),
])
def test_a_label_line_that_does_not_fit_is_named_by_file_and_line(tmp_path, line, message):
    path = tmp_path / "l.jsonl"
    path.write_text(json.dumps({"id": "b", "tags": []}) + "\n\n" + json.dumps(line) + "\n")
    with pytest.raises(LabelError) as err:
        read_jsonl_labels(path, TAGS)
    assert str(err.value) == f"{path}, line 3: {message}"


def test_a_label_with_no_tags_may_say_so_with_an_empty_list_null_or_empty_text(tmp_path):
    path = tmp_path / "l.jsonl"
    path.write_text("".join(json.dumps({"id": i, "tags": t, "other": 1}) + "\n"
                            for i, t in (("a", []), ("b", None), ("c", ""))))
    assert read_jsonl_labels(path, TAGS).labels == {"a": (), "b": (), "c": ()}


@pytest.mark.parametrize("body, message", [
    ('[[tag]]\nid = "x"\nname = 3', "tag 'x': 'name' must be a string"),
    ('[[tag]]\nid = "x"\ndescription = ["a"]', "tag 'x': 'description' must be a string"),
    ('[[tag]]\nid = "x"\n[[tag]]\nname = "no id"', "tag #2 needs an 'id' of letters, digits"),
    ('[[tag]]\nkeywords = 3\nid = "bad id"', "tag #1 needs an 'id' of letters, digits"),
    ('tag = "x"', "must list 1 to 1000 tags as [[tag]] tables with an 'id'"),
])
def test_a_schema_that_does_not_fit_is_a_one_line_error(tmp_path, body, message):
    path = tmp_path / "tags.toml"
    path.write_text(body + "\n")
    with pytest.raises(InputError) as err:
        load_schema(path)
    assert str(err.value).startswith(f"{path}: {message}")


def test_a_schema_may_carry_keys_tagger_does_not_read(tmp_path):
    path = tmp_path / "tags.toml"
    path.write_text('note = "ours"\n[[tag]]\nid = "x"\ncolour = "red"\n')
    assert load_schema(path).ids == ["x"]


def test_the_saved_settings_struct_follows_every_declared_bound():
    assert {f.name for f in fields(Settings)} == set(SAVED_SETTINGS.__struct_fields__)
    for f in fields(Settings):
        bound = f.metadata["bound"]
        if bound.choices is not None or bound.kind is bool:
            continue
        over = bound.hi + (1 if bound.kind is int else bound.hi * 1e-6 + 1e-9)
        assert getattr(Settings.from_dict({f.name: bound.kind(bound.hi)}), f.name) == bound.hi
        with pytest.raises(SettingsError, match=rf"setting '{f.name}' must be .* \(got "):
            Settings.from_dict({f.name: over})
        if bound.lo_open:
            with pytest.raises(SettingsError, match=f"setting '{f.name}' must be"):
                Settings.from_dict({f.name: bound.kind(bound.lo)})


@pytest.mark.parametrize("values, message", [
    ({"zz": 1, "aa": 2}, "unknown setting 'aa'"),
    ({"C": -1, "folds": 1}, "setting 'folds' must be a whole number at least 2 and at most 50 (got 1)"),
    ({"sentences": 1}, "setting 'sentences' must be true or false (got 1)"),
    ({"class_weight": "x"}, "setting 'class_weight' must be one of 'balanced', None (got 'x')"),
    ([1], "settings must be a mapping of names to values"),
])
def test_saved_settings_that_do_not_fit_say_which_and_why(values, message):
    with pytest.raises(SettingsError) as err:
        Settings.from_saved(values)
    assert str(err.value) == message


# ---- document records (a JSONL line, a CSV or Parquet row) ----

@pytest.mark.parametrize("line, message", [
    ([1, 2], "expected a JSON object with 'id' and 'text'"),
    ({"id": "a", "tags": 3}, "has no 'text' field"),  # the text is told before the tags
    ({"id": " ", "text": "t"}, "has no 'id'"),
    ({"id": None, "text": 3}, "has no 'id'"),
    ({"id": True, "text": "t"}, "'id' must be a string or a number"),
    ({"id": ["a"], "text": "t"}, "'id' must be a string or a number"),
    ({"id": "a", "text": 3, "tags": 3}, "'text' and 'title' must be strings"),
    ({"id": "a", "title": ["T"], "text": "t"}, "'text' and 'title' must be strings"),
    # the record is named from here on; its content is told before its tags
    ({"id": "a", "title": " ", "text": "\n", "tags": 3}, "record 'a': has no text"),
    ({"id": 7, "text": "a\u0000b", "tags": 3}, "record '7': holds binary data, not text"),
    ({"id": "a", "text": "t", "tags": [1]},
     "record 'a': 'tags' must be a list of strings or a ';'-separated string"),
])
def test_a_document_record_that_does_not_fit_is_named_by_file_and_line(tmp_path, line, message):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"id": "b", "text": "fine"}) + "\n" + json.dumps(line) + "\n")
    for keep in ((), ("other",)):  # straight from the line's bytes, or through its object
        with pytest.raises(InputError) as err:
            read_documents([path], max_doc_bytes=100, keep=keep)
        assert str(err.value).startswith(f"{path}, line 2{', ' if 'record' in message else ': '}"
                                         f"{message}")


def test_a_csv_or_parquet_row_that_does_not_fit_is_told_as_a_jsonl_line_is(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"id": ["a", " ", "c"], "title": ["", "", "T" * 60],
                          "text": ["one", "two", "t" * 60]})
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_parquet(tmp_path / "d.parquet")
    with pytest.raises(InputError, match=r"d\.csv, line 3: has no 'id'$"):
        read_documents([tmp_path / "d.csv"])
    with pytest.raises(InputError, match=r"d\.parquet, record 'row 1': has no 'id'$"):
        read_documents([tmp_path / "d.parquet"])
    # the title and the text are within the cap each, not together
    for name, line in (("d.csv", ":4"), ("d.parquet", "")):
        skipped = list(iter_documents_lenient([tmp_path / name], max_doc_bytes=100))[-1]
        assert (skipped.id, skipped.source, skipped.reason) == (
            "c", f"{tmp_path / name}{line}", "is larger than the cap of 100 bytes per document")


def test_a_record_keeps_the_fields_asked_for_and_passes_over_the_others(tmp_path):
    path = tmp_path / "d.jsonl"
    rows = [{"id": 1, "text": "t", "words": 12, "lang": "en", "meta": {"a": [1, None]},
             "date": "2024-03-01T08:00:00Z", "source": " The  Paper ", "url": 5},
            {"id": "x", "text": "u", "title": None, "tags": "a; ;b", "date": 20240301}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    plain = read_documents([path])
    kept = read_documents([path], keep=("meta", "words", "lang"))
    assert plain == kept and [d.extra for d in plain] == [(), ()]
    assert [d.extra for d in kept] == [('{"a": [1, null]}', "12", "en"), (None, None, None)]
    first, second = kept
    assert (first.id, first.date, first.outlet, first.url) == ("1", "2024-03-01", "The Paper", "")
    assert (second.tags, second.date, second.title) == (("a", "b"), "", "")


@pytest.mark.parametrize("raw, reason", [
    (b'{"id": "a", "text": "t"', "malformed JSON (input data was truncated)"),
    (b'{"id": "a", "text": "t"} x', "malformed JSON (trailing characters at byte 26 of the line)"),
    (b'{"id": "a", "text": "t", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
     "malformed JSON (nested too deep)"),
    (b'{"id": 1e400, "text": "t"}', "malformed JSON (number out of range)"),
])
def test_a_line_that_is_not_json_says_why(tmp_path, raw, reason):
    path = tmp_path / "d.jsonl"
    path.write_bytes(raw + b"\n")
    with pytest.raises(InputError) as err:
        read_documents([path])
    assert str(err.value) == f"{path}, line 1: {reason}"


def test_a_line_in_another_encoding_or_after_a_bom_is_read_as_text(tmp_path):
    text = ("The café near the river in Kherson was damaged, said Señora Müller, whose "
            "façade was hit. Officials said the attack déjà vu came at dawn. ") * 5
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "bom", "text": "t"}).encode() + b"\n"
                     + json.dumps({"id": "l", "text": text}, ensure_ascii=False).encode("latin-1"))
    bom, latin = read_documents([path])
    assert (bom.id, bom.text, latin.id) == ("bom", "t", "l")
    assert "The café near the river" in latin.text  # detected, as a .txt file's is
