"""The tag schema (tags.toml): the tags a model may assign, with their keywords."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..errors import InputError
from ..text.tokens import TOKEN_PATTERN
from .decoding import read_text_file
from .layout import TEXT_COLUMN, fixed_columns, record_columns


TAG_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")


MAX_TAGS = 1000


SCHEMA_CAP = 2**20


@dataclass(frozen=True)
class Tag:
    id: str
    name: str = ""
    description: str = ""
    # words or phrases that signal the tag; a mention counts as evidence when one of the
    # context words stands nearby (or always, when there are none): see tagger.text.keywords.Lexicon
    keywords: tuple[str, ...] = ()
    context: tuple[str, ...] = ()


@dataclass(frozen=True)
class TagSchema:
    """The tags a model may assign, in a fixed order."""

    tags: tuple[Tag, ...]

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.tags]

    @classmethod
    def from_ids(cls, ids: Iterable[str]) -> "TagSchema":
        return cls(tuple(Tag(id=i) for i in ids))


def load_schema(path: str | Path) -> TagSchema:
    """Read a tags.toml: ``[[tag]]`` tables with ``id`` and optional ``name``,
    ``description``, ``keywords`` and ``context``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "does not exist")
    text = read_text_file(path, SCHEMA_CAP)
    depth, line = nesting(text)
    if depth > MAX_DEPTH:  # tomllib recurses once per level: bound it before parsing
        raise InputError(path, f"nests arrays or tables {depth} deep (at most {MAX_DEPTH})",
                         line=line)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"is not valid TOML ({exc})") from None
    except RecursionError:  # not reached after the bound above; kept as a last guard
        raise InputError(path, "nests arrays or tables too deep") from None
    entries = data.get("tag")
    if not isinstance(entries, list) or not entries or len(entries) > MAX_TAGS:
        raise InputError(path, f"must list 1 to {MAX_TAGS} tags as [[tag]] tables with an 'id'")
    tags, seen = [], set()
    for n, entry in enumerate(entries, start=1):
        tag_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(tag_id, str) or not TAG_ID.match(tag_id):
            raise InputError(path, f"tag #{n} needs an 'id' of letters, digits, '_', '-' or '.'")
        if tag_id in seen:
            raise InputError(path, f"tag {tag_id!r} is listed twice")
        seen.add(tag_id)
        keywords = _word_list(entry, "keywords", tag_id, path)
        context = _word_list(entry, "context", tag_id, path)
        if context and not keywords:
            raise InputError(path, f"tag {tag_id!r} has 'context' words but no 'keywords'")
        tags.append(Tag(id=tag_id, name=str(entry.get("name", "")),
                        description=" ".join(str(entry.get("description", "")).split()),
                        keywords=keywords, context=context))
    clash = column_clash([t.id for t in tags])
    if clash:
        raise InputError(path, clash)
    return TagSchema(tuple(tags))


def column_clash(ids: Iterable[str]) -> str | None:
    """Why these tag ids cannot share one output file (two of them, or one and a fixed
    column, would write a column of the same name), or None when they can."""
    owner = {c: None for c in (*fixed_columns(), TEXT_COLUMN)}  # the text: in SQLite
    for tag in ids:
        for column in record_columns(tag):
            if column in owner and owner[column] != tag:
                other = owner[column]
                what = f"the fixed column {column!r}" if other is None else f"tag {other!r}"
                return (f"tag {tag!r} would write the output column {column!r}, which "
                        f"{what} also writes: rename one of them")
            owner[column] = tag
    return None


MAX_DEPTH = 16
_QUOTES = ('"""', "'''", '"', "'")


def nesting(text: str) -> tuple[int, int]:
    """The deepest nesting of inline arrays and tables (``[`` and ``{`` outside strings and
    comments) in TOML text, and the line where it is first reached."""
    depth = deepest = 0
    line = where = 1
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
        elif ch == "#":
            i = text.find("\n", i)
            i = n if i < 0 else i
            continue
        elif ch in "\"'":
            quote = next(q for q in _QUOTES if text.startswith(q, i))
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" and quote[0] == '"' else 1
            line += text.count("\n", i, j)
            i = j + len(quote)
            continue
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, line
        elif ch in "]}":
            depth = max(0, depth - 1)
        i += 1
    return deepest, where


def _word_list(entry: dict, key: str, tag_id: str, path: Path) -> tuple[str, ...]:
    """A tag's 'keywords' or 'context': a list of phrases, each with a word the model can see."""
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(path, f"tag {tag_id!r}: '{key}' must be a list of strings")
    out = []
    for v in value:
        if not re.search(TOKEN_PATTERN, v):
            raise InputError(path, f"tag {tag_id!r}: {key} entry {v!r} has no word of two or "
                                   "more letters or digits, so it could never match")
        phrase = " ".join(v.split())
        if phrase not in out:
            out.append(phrase)
    return tuple(out)
