"""Issue 22, data side: label databases that are not tagger's, deep or colliding tag
schemas, tiny label sets, a model's format version of the wrong type. Each test is a
finding of the probe, kept so the next probe starts where this one ended."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES
from tagger.config import Settings
from tagger.errors import ModelError, TaggerError
from tagger.io.records import Document
from tagger.labels.tagschema import TagSchema



def _articles(n: int) -> list[dict]:
    with open(FIXTURES / "articles.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line, _ in zip(fh, range(n))]


def _docs(n: int, positives: str) -> list[Document]:
    """``n`` labelled documents (tag 'a' on none, the first, or every other), then 3
    unlabelled ones."""
    arts = _articles(n + 3)
    docs = []
    for i, a in enumerate(arts[:n]):
        on = (positives == "one" and i == 0) or (positives == "half" and i % 2 == 0)
        docs.append(Document(id=a["id"], text=a["text"], tags=("a",) if on else ()))
    return docs + [Document(id=a["id"], text=a["text"]) for a in arts[n:]]


def _train_outcome(n: int, positives: str, folds: int, search: bool) -> str:
    from tagger.model.train import train

    try:
        train(_docs(n, positives), schema=TagSchema.from_ids(["a"]),
              settings=Settings(folds=folds), search=search, n_jobs=1)
    except TaggerError as exc:
        assert "\n" not in str(exc)
        return "refused"
    return "trained"


def test_three_labels_two_folds_says_why():
    """The repro: 3 labelled documents, --folds 2 gave scikit-learn's max_df < min_df."""
    from tagger.model.train import train

    with pytest.raises(ModelError, match="too few labelled documents.*min_df"):
        train(_docs(3, "half"), schema=TagSchema.from_ids(["a"]), settings=Settings(folds=2),
              search=False, n_jobs=1)


@pytest.mark.slow
@pytest.mark.parametrize("search", [False, True])
def test_any_number_of_labels_trains_or_says_why(search):
    outcomes = {}
    for n in (0, 1, 2, 3, 5, 10):
        for positives in ("none", "one", "half"):
            for folds in (2, 3, 4, 5):
                outcomes[n, positives, folds] = _train_outcome(n, positives, folds, search)
    # enough documents with both classes train; the rest are refused in one line
    assert outcomes[10, "half", 5] == "trained"
    assert outcomes[3, "half", 3] == "trained"
    assert outcomes[3, "half", 2] == "refused"
    assert all(outcomes[0, p, f] == "refused" for p in ("none", "one", "half") for f in (2, 5))


def test_deep_tag_schema_is_one_line_error(tmp_path):
    """The repro: a 1.8 KB tags.toml with arrays nested 900 deep gave a RecursionError."""
    from tagger.errors import InputError
    from tagger.labels.tagschema import load_schema

    path = tmp_path / "tags.toml"
    path.write_text('[[tag]]\nid = "a"\nkeywords = ' + "[" * 900 + "]" * 900 + "\n")
    with pytest.raises(InputError, match=r"tags\.toml, line 3: nests arrays or tables 900 deep"):
        load_schema(path)


def test_brackets_in_strings_and_comments_are_not_nesting(tmp_path):
    from tagger.labels.tagschema import load_schema

    path = tmp_path / "tags.toml"
    path.write_text('[[tag]]\nid = "a"  # [[[[[[[[[[[[[[[[[[[[\n'
                    'keywords = ["missile [[[[[[[[[[[[[[[[[[[[", \'strike {{{{{{{{{{{{{{{{{{\']\n')
    assert load_schema(path).tags[0].keywords == ("missile [[[[[[[[[[[[[[[[[[[[",
                                                   "strike {{{{{{{{{{{{{{{{{{")


@pytest.mark.parametrize("ids", [("X", "X_evidence"), ("X_end", "X"), ("model",), ("a", "id"),
                                 ("text",), ("X_score", "X")])
def test_tag_ids_whose_columns_collide_are_refused(tmp_path, ids):
    from tagger.errors import InputError
    from tagger.io.layout import record_columns
    from tagger.labels.tagschema import load_schema

    path = tmp_path / "tags.toml"
    path.write_text("".join(f'[[tag]]\nid = "{i}"\n' for i in ids))
    with pytest.raises(InputError, match=r"tags\.toml: tag .* output column") as info:
        load_schema(path)
    assert "\n" not in str(info.value)
    assert any(c in str(info.value) for i in ids for c in record_columns(i))


def test_tag_ids_that_only_look_alike_are_accepted(tmp_path):
    from tagger.labels.tagschema import load_schema

    path = tmp_path / "tags.toml"
    path.write_text('[[tag]]\nid = "X"\n[[tag]]\nid = "X_evidence2"\n[[tag]]\nid = "Y_start"\n'
                    '[[tag]]\nid = "tags"\n[[tag]]\nid = "X.evidence"\n')
    assert load_schema(path).ids == ["X", "X_evidence2", "Y_start", "tags", "X.evidence"]


def test_string_format_version_is_told_to_be_an_integer(tmp_path):
    from tagger.model.schema import FORMAT, parse

    raw = json.dumps({"format": FORMAT, "format_version": "1"}).encode()
    with pytest.raises(ModelError, match="'format_version' must be an integer, got '1'"):
        parse(raw, tmp_path / "model.json")
