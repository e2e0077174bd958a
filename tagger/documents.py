"""Reading documents: directories of .txt files, single .txt files, JSONL, CSV and Parquet.

Every reader yields :class:`Document` objects. Strict readers raise :class:`InputError`
naming the file and line or record; the lenient stream used by batch tagging turns a bad
document into a :class:`Skipped` record and goes on.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .errors import InputError

try:  # orjson parses several times faster; the standard library is the fallback
    from orjson import JSONDecodeError, loads as json_loads
except ImportError:  # pragma: no cover
    from json import JSONDecodeError, loads as json_loads

TEXT_SUFFIXES = {".txt"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
SUPPORTED = TEXT_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES | PARQUET_SUFFIXES
STDIN = "-"


@dataclass(frozen=True)
class Document:
    """One article. ``tags`` is None when the source carries no labels for it."""

    id: str
    text: str
    title: str = ""
    tags: tuple[str, ...] | None = None
    source: str = field(default="", compare=False)

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


def decode_bytes(raw: bytes, path, *, line: int | None = None, record: str | None = None) -> str:
    """Decode text as UTF-8, or in the encoding charset-normalizer detects, else raise."""
    if not raw.strip():
        raise InputError(path, "is empty", line=line, record=record)
    if b"\x00" in raw[:8192]:
        raise InputError(path, "is a binary file, not text", line=line, record=record)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise InputError(path, "is not UTF-8 and its encoding could not be detected",
                         line=line, record=record)
    return str(best)


def _check_text(text: str, path, *, line=None, record=None) -> str:
    if not text.strip():
        raise InputError(path, "has no text", line=line, record=record)
    if "\x00" in text:
        raise InputError(path, "holds binary data, not text", line=line, record=record)
    return text


def _parse_tags(value, path, *, line=None, record=None) -> tuple[str, ...] | None:
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


def _read_txt(path: Path) -> Iterator[Document]:
    text = _check_text(decode_bytes(path.read_bytes(), path), path)
    yield Document(id=path.stem, text=text, source=str(path))


def _read_jsonl(path: Path) -> Iterator[Document]:
    with path.open("rb") as fh:
        seen_any = False
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            seen_any = True
            yield _jsonl_document(raw, path, lineno)
        if not seen_any:
            raise InputError(path, "is empty")


def _jsonl_document(raw: bytes, path, lineno: int) -> Document:
    """One JSONL line as a document; InputError names the file and line."""
    line = decode_bytes(raw, path, line=lineno)
    try:
        obj = json_loads(line)
    except JSONDecodeError as exc:
        raise InputError(path, f"malformed JSON ({exc.msg})", line=lineno) from None
    return _from_mapping(obj, path, line=lineno)


def _from_mapping(obj, path, *, line=None, record=None) -> Document:
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
    _check_text(title + text, path, line=line, record=doc_id)
    tags = _parse_tags(obj.get("tags"), path, line=line, record=doc_id)
    return Document(id=doc_id, text=text, title=title, tags=tags, source=str(path))


def _read_table(path: Path, frame) -> Iterator[Document]:
    missing = [c for c in ("id", "text") if c not in frame.columns]
    if missing:
        raise InputError(path, f"has no {' or '.join(repr(c) for c in missing)} column "
                               f"(columns: {', '.join(map(str, frame.columns))})")
    # CSV line numbers: the header is line 1 (multi-line quoted fields would shift these).
    is_csv = path.suffix.lower() in CSV_SUFFIXES
    for i, row in enumerate(frame.to_dict("records")):
        line = i + 2 if is_csv else None
        record = None if is_csv else f"row {i}"
        yield _from_mapping({k: (None if _isnan(v) else v) for k, v in row.items()},
                            path, line=line, record=record)


def _isnan(v) -> bool:
    return isinstance(v, float) and v != v


def _read_csv(path: Path) -> Iterator[Document]:
    import io

    import pandas as pd

    text = decode_bytes(path.read_bytes(), path)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise InputError(path, f"malformed CSV ({exc})") from None
    except pd.errors.EmptyDataError:
        raise InputError(path, "is empty") from None
    yield from _read_table(path, frame)


def _read_parquet(path: Path) -> Iterator[Document]:
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise InputError(path, f"is not a readable Parquet file ({exc.__class__.__name__})") from None
    for col in ("id", "title", "text"):
        if col in frame.columns:
            frame[col] = frame[col].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    yield from _read_table(path, frame)


READERS = {
    **{s: _read_txt for s in TEXT_SUFFIXES},
    **{s: _read_jsonl for s in JSONL_SUFFIXES},
    **{s: _read_csv for s in CSV_SUFFIXES},
    **{s: _read_parquet for s in PARQUET_SUFFIXES},
}


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files behind the paths given: a directory stands for the supported files in it."""
    out: list[Path] = []
    for p in paths:
        if str(p) == STDIN:
            out.append(Path(STDIN))
            continue
        path = Path(p)
        if path.is_dir():
            files = sorted(f for f in path.rglob("*")
                           if f.is_file() and f.suffix.lower() in SUPPORTED)
            if not files:
                raise InputError(path, "holds no .txt, .jsonl, .csv or .parquet files")
            out.extend(files)
        elif path.is_file():
            if path.suffix.lower() not in SUPPORTED:
                raise InputError(path, f"has an unsupported extension {path.suffix!r} "
                                       "(use .txt, .jsonl, .csv or .parquet)")
            out.append(path)
        else:
            raise InputError(path, "does not exist")
    return out


def _read_stdin() -> Iterator[Document]:
    raw = sys.stdin.buffer.read()
    text = _check_text(decode_bytes(raw, "<stdin>"), "<stdin>")
    yield Document(id="stdin", text=text, source="<stdin>")


def read_file(path: Path) -> Iterator[Document]:
    """Documents in one file, in file order; raises InputError on the first bad one."""
    if str(path) == STDIN:
        return _read_stdin()
    return READERS[path.suffix.lower()](path)


def read_documents(paths: Iterable[str | Path]) -> list[Document]:
    """All documents behind the paths, in order; a repeated id is an error."""
    docs: list[Document] = []
    seen: dict[str, str] = {}
    for path in expand_paths(paths):
        for doc in read_file(path):
            if doc.id in seen:
                raise InputError(path, f"duplicate document id (also in {seen[doc.id]})",
                                 record=doc.id)
            seen[doc.id] = doc.source
            docs.append(doc)
    return docs


def raw_records(paths: Iterable[str | Path]) -> Iterator:
    """Cheap, unparsed records behind the paths, for :func:`parse_record` to finish.

    A JSONL line or a .txt file is passed on unread, so the costly part (decoding and
    parsing) can run in whichever process tags it. CSV and Parquet files are parsed here,
    whole, and their rows passed on as documents (or one Skipped for an unreadable file).
    Missing paths still raise: that is a mistake in the command, not in a document.
    """
    for path in expand_paths(paths):
        suffix = path.suffix.lower()
        if suffix in JSONL_SUFFIXES:
            with path.open("rb") as fh:
                for lineno, raw in enumerate(fh, start=1):
                    if raw.strip():
                        yield ("jsonl", str(path), lineno, raw)
        elif suffix in TEXT_SUFFIXES:
            yield ("txt", str(path))
        else:
            try:
                yield from read_file(path)
            except InputError as exc:
                yield Skipped(id=exc.record or path.stem, source=str(path), reason=exc.reason)


def parse_record(record) -> Document | Skipped:
    """A Document from a raw record, or a Skipped saying why it cannot be read."""
    if isinstance(record, (Document, Skipped)):
        return record
    if record[0] == "txt":
        path = Path(record[1])
        try:
            return next(_read_txt(path))
        except InputError as exc:
            return Skipped(id=path.stem, source=str(path), reason=exc.reason)
        except OSError as exc:
            return Skipped(id=path.stem, source=str(path), reason=f"cannot be read ({exc.strerror})")
    _, path, lineno, raw = record
    try:
        return _jsonl_document(raw, path, lineno)
    except InputError as exc:
        return Skipped(id=exc.record or f"{Path(path).name}:{lineno}", source=f"{path}:{lineno}",
                       reason=exc.reason)


def iter_documents_lenient(paths: Iterable[str | Path]) -> Iterator[Document | Skipped]:
    """Documents behind the paths, yielding a Skipped record for each unreadable one.

    A .txt file is one document, so a bad one is skipped alone. In JSONL a bad line is
    skipped and reading goes on; a CSV or Parquet file that cannot be parsed at all is
    one skipped entry. Missing paths still raise: that is a mistake in the command.
    """
    return map(parse_record, raw_records(paths))
