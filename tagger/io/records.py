"""Documents and the checks every reader applies to each record it makes one from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date as _date
from pathlib import Path

from ..errors import InputError
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


def check_text(text: str, path, *, line=None, record=None) -> str:
    if not text.strip():
        raise InputError(path, "has no text", line=line, record=record)
    if "\x00" in text:
        raise InputError(path, "holds binary data, not text", line=line, record=record)
    return text


def parse_tags(value, path, *, line=None, record=None) -> tuple[str, ...] | None:
    """A list of tags, or a ';'-separated string; None or a missing value means unlabelled."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from pandas
        return None
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(";") if t.strip())
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)) and all(isinstance(t, str) for t in value):
        return tuple(t.strip() for t in value if t.strip())
    raise InputError(path, "'tags' must be a list of strings or a ';'-separated string",
                     line=line, record=record)


def from_mapping(obj, path, cap: int, *, line=None, record=None, keep=()) -> Document:
    """A document from a record's fields; ``keep`` names other fields to carry as text."""
    if not isinstance(obj, dict):
        raise InputError(path, "expected a JSON object with 'id' and 'text'", line=line,
                         record=record)
    if "text" not in obj:
        raise InputError(path, "has no 'text' field", line=line, record=record)
    doc_id = obj.get("id")
    if doc_id is None or str(doc_id).strip() == "":
        raise InputError(path, "has no 'id'", line=line, record=record)
    doc_id = str(doc_id)
    title = obj.get("title") or ""
    text = obj.get("text")
    if not isinstance(text, str) or not isinstance(title, str):
        raise InputError(path, "'text' and 'title' must be strings", line=line, record=record)
    if not (title.strip() or text.strip()):
        raise InputError(path, "has no text", line=line, record=doc_id)
    check_size(title + text, cap, path, line=line, record=doc_id)
    check_text(title + text, path, line=line, record=doc_id)
    tags = parse_tags(obj.get("tags"), path, line=line, record=doc_id)
    return Document(id=doc_id, text=text, title=title, tags=tags, source=str(path),
                    date=iso_date(obj.get("date")), outlet=_short_string(obj.get("source")),
                    url=_short_string(obj.get("url"), MAX_URL),
                    extra=tuple(kept_value(obj.get(k)) for k in keep))


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
