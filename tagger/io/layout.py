"""The one record layout of a tagged document, shared by every format `tagger tag` writes
(JSONL, CSV, Parquet, SQLite) and by what `tagger predict` prints for programs.

A record is ``id``, ``date``, ``title``, ``source``, ``url``, the input fields asked to be
kept, ``model`` (the fingerprint of the model that tagged it), then per tag the columns
of :func:`record_columns`: the decision, its probability, the evidence sentence and the
sentence's span. Column names use underscores, never dots, so they are attributes in
pandas and identifiers in SQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from ..errors import TaggerError

LAYOUT_VERSION = 2  # 1: the `tags` list and dotted TAG.evidence columns, before issue 23
BASE_COLUMNS = ("id", "date", "title", "source", "url")
MODEL_COLUMN = "model"
TEXT_COLUMN = "text"  # the article text: in a SQLite archive always, elsewhere when kept
MAX_KEEP = 50         # input fields kept in one output

# What each column holds: text, date (ISO, null when unknown), bool, score (a
# probability), span (a character offset, null when the tag has no evidence), note (text,
# or null: an evidence sentence, a kept field)
BASE_KINDS = ("text", "date", "text", "text", "text")
TAG_KINDS = ("bool", "score", "note", "span", "span")


# What each column holds, for the manual's table (tools/readme_parts.py): FIELD stands for
# each kept field, TAG for each tag
COLUMN_NOTES = {
    "id": "the document's id",
    "date": "its date, `YYYY-MM-DD`; empty (null) when it has none",
    "title": "its title; empty when it has none",
    "source": "the outlet that published it (the input's `source`); empty when none",
    "url": "its address (the input's `url`); empty when none",
    "FIELD": "each input field given to `--keep`, as text (numbers, lists and objects as "
             "JSON); empty (null) when the document has none",
    "model": "the fingerprint of the model that tagged it (SHA-256 of the model's files)",
    "TAG": "the decision: true when the tag is given (its score reaches the tag's threshold)",
    "TAG_score": "the tag's probability",
    "TAG_evidence": "the sentence of the text that earns the tag given; empty (null) for a tag "
                    "not given, or with `--no-evidence`",
    "TAG_start": "where that sentence starts in the text (a character offset); empty (null) "
                 "with no sentence",
    "TAG_end": "where it ends: `text[TAG_start:TAG_end]` is the sentence",
}


def described_columns() -> list[tuple[str, str, str]]:
    """(column, kind, what it holds) for each column, a kept FIELD and a TAG standing for
    all of theirs."""
    layout = Layout(("TAG",), ("FIELD",))
    return [(c, k, COLUMN_NOTES[c]) for c, k in zip(layout.columns(), layout.kinds())]


def record_columns(tag: str) -> tuple[str, ...]:
    """A tag's columns: the decision, its probability, its evidence sentence and the
    sentence's span in the text. The one place they are spelled; tag ids are checked
    against it (no tag may take a column another tag or a fixed column has)."""
    return (tag, f"{tag}_score", f"{tag}_evidence", f"{tag}_start", f"{tag}_end")


def fixed_columns(keep: Sequence[str] = ()) -> tuple[str, ...]:
    """The columns before the tags': the document's, the kept fields, the model."""
    return (*BASE_COLUMNS, *keep, MODEL_COLUMN)


def kept_value(value) -> str | None:
    """A kept input field as text (numbers, lists and objects as JSON), None when missing."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:  # NaN: pandas' missing value
        return None
    if hasattr(value, "isoformat"):  # a Parquet date or timestamp
        return value.isoformat()
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def check_keep(keep: Sequence[str], tags: Sequence[str]) -> tuple[str, ...]:
    """The fields to keep, checked: each named once, none a column every record has."""
    taken = {*BASE_COLUMNS, MODEL_COLUMN, *(c for t in tags for c in record_columns(t))}
    seen: list[str] = []
    for name in keep:
        if not name or name != name.strip() or len(name) > 100:
            raise TaggerError(f"a field to keep must be a name of 1 to 100 characters "
                              f"without spaces around it, not {name!r}")
        if name in taken:
            raise TaggerError(f"{name!r} is a column of every record already; keep other "
                              "fields")
        if name not in seen:
            seen.append(name)
    if len(seen) > MAX_KEEP:
        raise TaggerError(f"at most {MAX_KEEP} fields may be kept, not {len(seen)}")
    return tuple(seen)


@dataclass(frozen=True)
class Layout:
    """The columns of one output: its model's tags, the input fields kept, and the
    fingerprint of the model, written in every row's ``model`` column."""

    tags: tuple[str, ...]
    keep: tuple[str, ...] = ()
    model: str = ""

    def columns(self) -> list[str]:
        return [*fixed_columns(self.keep), *(c for t in self.tags for c in record_columns(t))]

    def kinds(self) -> list[str]:
        """Per column, what it holds (see BASE_KINDS and TAG_KINDS)."""
        return [*BASE_KINDS, *("note" for _ in self.keep), "text", *(TAG_KINDS * len(self.tags))]

    def rows(self, predictions: Sequence, docs: Sequence) -> Iterator[tuple]:
        """One tuple per document, in :meth:`columns` order: Python values (None for a
        missing date, evidence, span or kept field)."""
        blank = (None,) * len(self.keep)
        none3 = (None, None, None)
        # the text, kept, is the document's own (a .txt file has no fields to keep)
        text_at = self.keep.index(TEXT_COLUMN) if TEXT_COLUMN in self.keep else None
        for p, d in zip(predictions, docs):
            extra = getattr(d, "extra", ()) or blank
            if text_at is not None:
                extra = (*extra[:text_at], d.text, *extra[text_at + 1:])
            row = [p.id, p.date or None, d.title, d.outlet, d.url, *extra, self.model]
            evidence = p.evidence or {}
            given = set(p.tags)
            for t in self.tags:
                e = evidence.get(t)
                row += (t in given, p.scores[t], *((e["text"], e["start"], e["end"]) if e
                                                   else none3))
            yield tuple(row)

    def metadata(self, model_name: str = "", thresholds: Sequence[float] = ()) -> dict:
        """What a file in this layout says of itself: the layout, the model (name and
        fingerprint), each tag's threshold and the fields kept."""
        return {"layout_version": LAYOUT_VERSION, "model": self.model, "model_name": model_name,
                "tags": [{"id": t, "threshold": th} for t, th in
                         zip(self.tags, [*thresholds] or [None] * len(self.tags))],
                "keep": list(self.keep), "columns": self.columns()}


def meta_file(out) -> Path:
    """Where the metadata of a file whose format has no place for it (JSONL, CSV) is kept:
    ``OUT.meta.json``, beside it."""
    return Path(str(out) + ".meta.json")


OLD_LAYOUT = ("is in the record layout of an earlier tagger (a 'tags' list, a score under each "
              "tag's name, dotted TAG.evidence columns), which this tagger no longer reads; "
              "tag its documents into a new file")


def is_old_layout(columns: Sequence[str]) -> bool:
    """Do these columns (or a JSONL record's keys) belong to the layout before issue 23?"""
    names = set(columns)
    return (MODEL_COLUMN not in names and ("tags" in names or "scores" in names)) or \
        any(str(c).endswith(".evidence") for c in names)


def column_difference(expected: Sequence[str], found: Sequence[str]) -> str:
    """Why an archive's columns are not this run's, in a few words, and the way out."""
    missing = [c for c in expected if c not in set(found)]
    extra = [c for c in found if c not in set(expected)]

    def few(names):
        return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")

    what = "; ".join(part for part in (f"this run writes {few(missing)}, it does not"
                                       if missing else "",
                                       f"it has {few(extra)}, this run does not"
                                       if extra else "") if part)
    return (f"has other columns than this run writes ({what or 'in another order'}); add to "
            "it with the model and kept fields it was written with, or start a new archive")
