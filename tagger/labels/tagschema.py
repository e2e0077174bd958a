"""The tag schema (tags.toml): the tags a model may assign, with their keywords."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Iterable

import msgspec

from ..errors import InputError
from ..io.decoding import read_text_file
from ..io.layout import TEXT_COLUMN, fixed_columns, record_columns
from ..structs import Invalid, convert
from ..text.tokens import TOKEN_PATTERN


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


# What a tags.toml may hold, declared; unknown keys are passed over, as they always were.
# A keyword or context phrase needs a word the model can see (else it could never match).
Phrase = Annotated[str, msgspec.Meta(pattern=TOKEN_PATTERN)]


class TagEntry(msgspec.Struct):
    """One ``[[tag]]`` table."""

    id: Annotated[str, msgspec.Meta(pattern=TAG_ID.pattern)]
    name: str = ""
    description: str = ""
    keywords: list[Phrase] = []
    context: list[Phrase] = []


class TagsFile(msgspec.Struct):
    """A tags.toml: its ``[[tag]]`` tables."""

    tag: Annotated[list[TagEntry], msgspec.Meta(min_length=1, max_length=MAX_TAGS)]


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
    try:
        entries = convert(data, TagsFile).tag
    except Invalid as exc:
        raise InputError(path, _schema_mistake(exc.at, data)) from None
    tags, seen = [], set()
    for entry in entries:
        if entry.id in seen:
            raise InputError(path, f"tag {entry.id!r} is listed twice")
        seen.add(entry.id)
        if entry.context and not entry.keywords:
            raise InputError(path, f"tag {entry.id!r} has 'context' words but no 'keywords'")
        tags.append(Tag(id=entry.id, name=entry.name,
                        description=" ".join(entry.description.split()),
                        keywords=_phrases(entry.keywords), context=_phrases(entry.context)))
    clash = column_clash([t.id for t in tags])
    if clash:
        raise InputError(path, clash)
    return TagSchema(tuple(tags))


def _schema_mistake(at: tuple, data: dict) -> str:
    """What is wrong at ``at`` (a path into the parsed TOML), in the schema's words."""
    if len(at) < 2 or at[0] != "tag":
        return f"must list 1 to {MAX_TAGS} tags as [[tag]] tables with an 'id'"
    entry = data["tag"][at[1]]
    tag_id = entry.get("id") if isinstance(entry, dict) else None
    if len(at) == 2 or at[2] == "id" or not isinstance(tag_id, str) or not TAG_ID.match(tag_id):
        return f"tag #{at[1] + 1} needs an 'id' of letters, digits, '_', '-' or '.'"
    key = at[2]
    value = entry[key]
    if key in ("keywords", "context") and len(at) > 3 and isinstance(value[at[3]], str):
        return (f"tag {tag_id!r}: {key} entry {value[at[3]]!r} has no word of two or more "
                "letters or digits, so it could never match")
    if key in ("keywords", "context"):
        return f"tag {tag_id!r}: '{key}' must be a list of strings"
    return f"tag {tag_id!r}: '{key}' must be a string"


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


def _phrases(value: list[str]) -> tuple[str, ...]:
    """A tag's 'keywords' or 'context', each phrase's spaces made single, each once."""
    out = []
    for v in value:
        phrase = " ".join(v.split())
        if phrase not in out:
            out.append(phrase)
    return tuple(out)
