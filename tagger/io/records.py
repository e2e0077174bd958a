"""Documents, and the checks every reader applies to each record it makes one from: its
fields declared as a msgspec Struct (:class:`DocumentRecord`), then its content."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date as _date
from pathlib import Path
from typing import Annotated, Any

import msgspec

from ..errors import InputError
from ..structs import fits
from .decoding import decode_bytes
from .layout import kept_value


# A document (a .txt file, a JSONL line, a CSV or Parquet row) larger than this is refused:
# no single input can exhaust memory. Far above any news article (~50 kB at most).
MAX_DOC_BYTES = 5 * 2**20
STDIN = "-"  # as a path: standard input, one document


@dataclass(frozen=True)
class Document:
    """One article. ``tags`` is None when the source carries no labels for it."""

    id: str
    text: str
    title: str = ""
    tags: tuple[str, ...] | None = None
    source: str = field(default="", compare=False)
    # the sentences that earn each tag, when the labels carry them: ((tag, (sentence, ...)), ...)
    evidence: tuple = field(default=(), compare=False)
    # what the record says of itself, when it says it: its date and who published it
    date: str = field(default="", compare=False)
    outlet: str = field(default="", compare=False)
    url: str = field(default="", compare=False)
    # the input fields asked to be kept in the output, in the order asked (None if missing)
    extra: tuple = field(default=(), compare=False)

    @property
    def content(self) -> str:
        """What the model reads: the title, if any, before the text."""
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass(frozen=True)
class Skipped:
    """A document that could not be read, and why."""

    id: str
    source: str
    reason: str


def too_large(cap: int) -> str:
    return f"is larger than the cap of {cap:,} bytes per document"


def check_size(text: str, cap: int, path, *, line=None, record=None) -> None:
    # a character takes at most 4 bytes: encode only when the count alone cannot tell
    if len(text) * 4 > cap and len(text.encode("utf-8", "surrogatepass")) > cap:
        raise InputError(path, too_large(cap), line=line, record=record)


BINARY = "holds binary data, not text"


def check_text(text: str, path, *, line=None, record=None) -> str:
    if not text.strip():
        raise InputError(path, "has no text", line=line, record=record)
    if "\x00" in text:
        raise InputError(path, BINARY, line=line, record=record)
    return text


# What a document record holds, declared: a JSONL line, a CSV or Parquet row. Fields not
# named here are passed over (and read only when asked to be kept, by from_mapping's keep).
# A numeric id names its document as text, as it always has.
DocId = Annotated[str, msgspec.Meta(pattern=r"\S")] | int | float


class DocumentRecord(msgspec.Struct):
    """One record's fields; ``tags`` a list, or a ';'-separated string (None: unlabelled)."""

    text: str
    id: DocId
    title: str | None = None
    tags: list[str] | str | None = None
    # what a record says of itself is read when it reads as a date, an outlet, an address,
    # and passed over when not: an odd date must not cost the article its place
    date: Any = None
    source: Any = None
    url: Any = None


FIELD_TYPES = {f.name: f.type for f in msgspec.structs.fields(DocumentRecord)}  # to tell which
RECORD_JSON = msgspec.json.Decoder(DocumentRecord)  # straight from a line's bytes: no dict made
ANY_JSON = msgspec.json.Decoder()


def from_json(raw: bytes | str, path, cap: int, *, line: int, keep=()) -> Document:
    """A document from one JSON text (a JSONL line; bytes in UTF-8 or another encoding that
    decodes); InputError names the file and line."""
    try:
        return _from_json(raw, path, cap, line, keep)
    except msgspec.DecodeError as exc:
        if isinstance(raw, str):
            raise _malformed(exc, path, line) from None
    # not UTF-8, or a BOM before it, or not JSON: read as text as every input is, then parsed
    try:
        return _from_json(decode_bytes(raw, path, line=line), path, cap, line, keep)
    except msgspec.DecodeError as exc:
        raise _malformed(exc, path, line) from None


def _from_json(raw: bytes | str, path, cap: int, line: int, keep) -> Document:
    """A document from JSON text; msgspec.DecodeError when it is not JSON."""
    try:
        if keep:  # other fields are wanted too: the whole object, then its record
            return from_mapping(ANY_JSON.decode(raw), path, cap, line=line, keep=keep)
        return from_record(RECORD_JSON.decode(raw), path, cap, line=line)
    except msgspec.ValidationError:  # JSON, but not a record: why (or a number out of range)
        raise _mistake(ANY_JSON.decode(raw), path, cap, line=line) from None
    except RecursionError:  # told as the other ways a line is not JSON are
        raise msgspec.DecodeError("nested too deep") from None


def _malformed(exc: msgspec.DecodeError, path, line: int) -> InputError:
    detail = str(exc).removeprefix("JSON is malformed: ").partition(" - at `")[0]
    detail = re.sub(r" \(byte (\d+)\)$", r" at byte \1 of the line", detail)
    return InputError(path, f"malformed JSON ({detail[:1].lower() + detail[1:]})", line=line)


def from_mapping(obj, path, cap: int, *, line=None, record=None, keep=()) -> Document:
    """A document from a record's fields; ``keep`` names other fields to carry as text."""
    try:
        fields = msgspec.convert(obj, DocumentRecord)
    except msgspec.ValidationError:
        raise _mistake(obj, path, cap, line=line, record=record) from None
    extra = tuple(kept_value(obj.get(k)) for k in keep)
    return from_record(fields, path, cap, line=line, extra=extra)


def _mistake(obj, path, cap: int, *, line=None, record=None) -> InputError:
    """What is wrong with a record that does not fit :class:`DocumentRecord`, in the order
    it has always been told: the object, its text, its id, the types, the text itself (see
    :func:`check_content`), then its tags."""
    def error(reason: str) -> InputError:
        return InputError(path, reason, line=line, record=record)

    if not isinstance(obj, dict):
        return error("expected a JSON object with 'id' and 'text'")
    if "text" not in obj:
        return error("has no 'text' field")
    doc_id = obj.get("id")
    if doc_id is None or (isinstance(doc_id, str) and not doc_id.strip()):
        return error("has no 'id'")
    if not fits(doc_id, FIELD_TYPES["id"]):
        return error("'id' must be a string or a number")
    if not all(fits(obj.get(k), FIELD_TYPES[k]) for k in ("text", "title")):
        return error("'text' and 'title' must be strings")
    check_content(str(doc_id), obj.get("title") or "", obj["text"], path, cap, line=line)
    return InputError(path, "'tags' must be a list of strings or a ';'-separated string",
                      line=line, record=str(doc_id))


def check_content(doc_id: str, title: str, text: str, path, cap: int, *, line=None) -> None:
    """A record's title and text: not both blank, within the cap, text."""
    if not (title.strip() or text.strip()):
        raise InputError(path, "has no text", line=line, record=doc_id)
    if (len(title) + len(text)) * 4 > cap:  # else within the cap: not worth joining them
        check_size(title + text, cap, path, line=line, record=doc_id)
    if "\x00" in text or "\x00" in title:
        raise InputError(path, BINARY, line=line, record=doc_id)


def from_record(fields: DocumentRecord, path, cap: int, *, line=None, extra=()) -> Document:
    """A document from a record's fields, its content checked."""
    doc_id, title, text = str(fields.id), fields.title or "", fields.text
    check_content(doc_id, title, text, path, cap, line=line)
    tags = fields.tags
    if tags is not None:
        tags = tuple(t.strip() for t in (tags.split(";") if isinstance(tags, str) else tags)
                     if t.strip())
    return Document(id=doc_id, text=text, title=title, tags=tags, source=str(path),
                    date=iso_date(fields.date), outlet=_short_string(fields.source),
                    url=_short_string(fields.url, MAX_URL), extra=extra)


def iso_date(value) -> str:
    """A record's date as ``YYYY-MM-DD``, or "" when it has none that reads as one.

    ISO 8601 dates and date-times (``2024-03-01``, ``2024-03-01T08:00:00Z``) are read, and
    the date and timestamp values of Parquet and pandas; anything else is no date.
    """
    if value is None or isinstance(value, (bool, int, float)):
        return ""
    if hasattr(value, "isoformat") and not isinstance(value, str):
        try:
            value = value.isoformat()  # datetime.date, datetime, pandas.Timestamp
        except (ValueError, TypeError):  # pandas.NaT
            return ""
    if not isinstance(value, str):
        return ""
    head = value.strip()[:10]
    try:
        return _date.fromisoformat(head).isoformat() if len(head) == 10 else ""
    except ValueError:
        return ""


MAX_URL = 2000  # characters of a record's url kept (browsers' own practical limit)


def _short_string(value, cap: int = 200) -> str:
    """A record's outlet or url: kept when it is a string, cut to ``cap`` characters."""
    return " ".join(value.split())[:cap] if isinstance(value, str) else ""


def missing_columns(path: Path, columns) -> None:
    missing = [c for c in ("id", "text") if c not in columns]
    if missing:
        raise InputError(path, f"has no {' or '.join(repr(c) for c in missing)} column "
                               f"(columns: {', '.join(map(str, columns))})")
