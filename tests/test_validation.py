"""Data validated where it enters by msgspec Structs (tags.toml, label JSONL, a model's
settings), each refusal a one-line error in the file's own words."""

from __future__ import annotations

import json
from dataclasses import fields

import msgspec
import pytest

from conftest import TAGS
from tagger.config import SAVED_SETTINGS, Settings
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
