"""Reading documents: directories of .txt files, single .txt files, JSONL, CSV and Parquet.

Every reader yields :class:`Document` objects. Strict readers raise :class:`InputError`
naming the file and line or record; the lenient stream used by batch tagging turns a bad
document into a :class:`Skipped` record and goes on.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .errors import DuplicateError, InputError

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
# A document (a .txt file, a JSONL line, a CSV or Parquet row) larger than this is refused:
# no single input can exhaust memory. Far above any news article (~50 kB at most).
MAX_DOC_BYTES = 5 * 2**20


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


# Byte-order marks, longest first: UTF-32's little-endian mark begins with UTF-16's.
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"))
WIDE = ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be")
SNIFF_BYTES = 1 << 16


def sniff_encoding(head: bytes) -> str | None:
    """UTF-8 with a BOM, or UTF-16/32 with or without one, from a file's first bytes.

    None means neither: UTF-8 or a legacy 8-bit encoding. Text in UTF-16 or UTF-32 without
    a mark is told apart from binary data by decoding a sample each way: the encoding
    whose sample decodes into printable text (and holds no NUL) wins.
    """
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    if b"\x00" not in head:
        return None
    best, best_share = None, 0.95  # below this share of printable characters: binary
    for name in WIDE:
        unit = 4 if "32" in name else 2
        sample = head[:len(head) - len(head) % unit]
        try:
            text = sample.decode(name)
        except UnicodeDecodeError:
            continue
        if not text or "\x00" in text:
            continue
        share = sum(c.isprintable() or c.isspace() for c in text) / len(text)
        if share > best_share:
            best, best_share = name, share
    return best


def decode_bytes(raw: bytes, path, *, line: int | None = None, record: str | None = None) -> str:
    """Decode text as UTF-8, UTF-16/32 (with or without a BOM), or in the encoding
    charset-normalizer detects; else raise."""
    if not raw.strip():
        raise InputError(path, "is empty", line=line, record=record)
    # most text has neither a BOM nor a NUL: check those cheaply before sniffing
    wide = (sniff_encoding(raw[:SNIFF_BYTES])
            if raw[:1] in b"\xef\xfe\xff\x00" or b"\x00" in raw else None)
    if wide is not None:
        try:
            return raw.decode(wide)
        except UnicodeDecodeError:
            raise InputError(path, f"is not valid {wide.upper()} text", line=line,
                             record=record) from None
    if b"\x00" in raw:
        raise InputError(path, "is a binary file, not text", line=line, record=record)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise InputError(path, "is not UTF-8 and its encoding could not be detected",
                         line=line, record=record)
    return str(best)


def text_encoding(path: Path) -> str:
    """The encoding to stream a whole text file in (CSV, JSONL), from its first bytes."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    wide = sniff_encoding(head)
    if wide is not None:
        return wide
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None:
        raise InputError(path, "is not UTF-8 and its encoding could not be detected")
    return best.encoding


def _too_large(cap: int) -> str:
    return f"is larger than the cap of {cap:,} bytes per document"


def _check_size(text: str, cap: int, path, *, line=None, record=None) -> None:
    # a character takes at most 4 bytes: encode only when the count alone cannot tell
    if len(text) * 4 > cap and len(text.encode("utf-8", "surrogatepass")) > cap:
        raise InputError(path, _too_large(cap), line=line, record=record)


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


def _read_txt(path: Path, cap: int) -> Iterator[Document]:
    if path.stat().st_size > cap:
        raise InputError(path, _too_large(cap))
    with path.open("rb") as fh:
        raw = fh.read(cap + 1)
    if len(raw) > cap:
        raise InputError(path, _too_large(cap))
    text = _check_text(decode_bytes(raw, path), path)
    yield Document(id=path.stem, text=text, source=str(path))


def _capped_lines(fh, cap: int) -> Iterator[tuple[int, bytes | str | None]]:
    """(line number, line) for each line of an open file; None for a line over ``cap``,
    whose content is skipped in pieces, never held whole."""
    for lineno in itertools.count(1):
        raw = fh.readline(cap + 1)
        if not raw:
            return
        if len(raw) > cap and raw[-1:] not in (b"\n", "\n"):
            while (rest := fh.readline(1 << 20)) and rest[-1:] not in (b"\n", "\n"):
                pass
            yield lineno, None
        else:
            yield lineno, raw


def _jsonl_lines(path: Path, cap: int) -> Iterator[tuple[int, bytes | str | None]]:
    """The non-blank lines of a JSONL file: bytes for UTF-8 (decoded where parsed), text
    for UTF-16/32 files (whose lines cannot be cut as bytes)."""
    with path.open("rb") as fh:
        wide = sniff_encoding(fh.read(SNIFF_BYTES))
    # a UTF-8 BOM stays on the first line, where decode_bytes removes it
    opened = (path.open("rb") if wide is None or wide == "utf-8-sig"
              else path.open("r", encoding=wide, newline=""))
    lineno = 0
    try:
        with opened as fh:
            for lineno, raw in _capped_lines(fh, cap):
                if raw is None or raw.strip():
                    yield lineno, raw
    except UnicodeDecodeError:
        raise InputError(path, f"is not valid {wide.upper()} text from here on; the rest of the "
                               "file is not read", line=lineno + 1) from None


def _read_jsonl(path: Path, cap: int) -> Iterator[Document | InputError]:
    seen_any = False
    for lineno, raw in _jsonl_lines(path, cap):
        seen_any = True
        try:
            yield _jsonl_document(raw, path, lineno, cap)
        except InputError as exc:
            yield exc
    if not seen_any:
        raise InputError(path, "is empty")


def _jsonl_document(raw: bytes | str | None, path, lineno: int, cap: int) -> Document:
    """One JSONL line as a document; InputError names the file and line."""
    if raw is None:
        raise InputError(path, _too_large(cap), line=lineno)
    line = raw if isinstance(raw, str) else decode_bytes(raw, path, line=lineno)
    try:
        obj = json_loads(line)
    except (JSONDecodeError, RecursionError) as exc:
        raise InputError(path, f"malformed JSON ({getattr(exc, 'msg', 'nested too deep')})",
                         line=lineno) from None
    return _from_mapping(obj, path, cap, line=lineno)


def _from_mapping(obj, path, cap: int, *, line=None, record=None) -> Document:
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
    _check_size(title + text, cap, path, line=line, record=doc_id)
    _check_text(title + text, path, line=line, record=doc_id)
    tags = _parse_tags(obj.get("tags"), path, line=line, record=doc_id)
    return Document(id=doc_id, text=text, title=title, tags=tags, source=str(path))


def _missing_columns(path: Path, columns) -> None:
    missing = [c for c in ("id", "text") if c not in columns]
    if missing:
        raise InputError(path, f"has no {' or '.join(repr(c) for c in missing)} column "
                               f"(columns: {', '.join(map(str, columns))})")


def _read_csv(path: Path, cap: int) -> Iterator[Document | InputError]:
    """Rows of a CSV file, streamed; each error names the physical line its record starts on."""
    # the csv module's field cap is process-wide: raise it to the document cap
    csv.field_size_limit(max(cap + 1, csv.field_size_limit()))
    with path.open("r", encoding=text_encoding(path), newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is None:
                raise InputError(path, "is empty")
            if header and header[0].startswith("\ufeff"):
                header[0] = header[0][1:]
            header = [h.strip() for h in header]
            _missing_columns(path, header)
            start = reader.line_num + 1
            for row in reader:
                line, start = start, reader.line_num + 1
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != len(header):
                    yield InputError(path, f"has {len(row)} fields where the header has "
                                           f"{len(header)}", line=line)
                    continue
                try:
                    yield _from_mapping(dict(zip(header, row)), path, cap, line=line)
                except InputError as exc:
                    yield exc
        except csv.Error as exc:
            raise InputError(path, f"malformed CSV ({exc}); the rest of the file is not read",
                             line=start if header else 1) from None
        except UnicodeDecodeError:
            raise InputError(path, f"is not valid {fh.encoding} text from here on",
                             line=reader.line_num + 1) from None


PARQUET_ROW_GROUP_CAP = 1 << 30  # bytes of one row group, uncompressed: read whole at once
PARQUET_COLUMNS = ("id", "title", "text", "tags")


def _read_parquet(path: Path, cap: int) -> Iterator[Document | InputError]:
    """Rows of a Parquet file, a few hundred at a time."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        columns = pf.schema_arrow.names
        sizes = [pf.metadata.row_group(i).total_byte_size for i in range(pf.num_row_groups)]
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise InputError(path, f"is not a readable Parquet file ({exc.__class__.__name__})") from None
    _missing_columns(path, columns)
    if max(sizes, default=0) > PARQUET_ROW_GROUP_CAP:
        raise InputError(path, f"has a row group of {max(sizes):,} bytes, over the cap of "
                               f"{PARQUET_ROW_GROUP_CAP:,}; write it in smaller row groups")
    wanted = [c for c in PARQUET_COLUMNS if c in columns]
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=256, columns=wanted):
            for obj in batch.to_pylist():
                for col in ("id", "title", "text"):
                    v = obj.get(col)
                    if v is not None and not isinstance(v, str):
                        obj[col] = str(v)
                try:
                    yield _from_mapping(obj, path, cap, record=f"row {row}")
                except InputError as exc:
                    yield exc
                row += 1
    except Exception as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(path, f"is not a readable Parquet file ({exc.__class__.__name__}); "
                               "the rest of the file is not read", record=f"row {row}") from None


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


def _read_stdin(cap: int) -> Iterator[Document]:
    raw = sys.stdin.buffer.read(cap + 1)
    if len(raw) > cap:
        raise InputError("<stdin>", _too_large(cap))
    text = _check_text(decode_bytes(raw, "<stdin>"), "<stdin>")
    yield Document(id="stdin", text=text, source="<stdin>")


def read_file(path: Path, max_doc_bytes: int = MAX_DOC_BYTES) -> Iterator[Document | InputError]:
    """Documents in one file, in file order, and an InputError in place of each bad one.

    A file that cannot be read at all raises InputError.
    """
    if str(path) == STDIN:
        return _read_stdin(max_doc_bytes)
    return READERS[path.suffix.lower()](path, max_doc_bytes)


def _io_error(path, exc: OSError) -> InputError:
    return InputError(path, f"cannot be read ({exc.strerror or exc})")


def read_documents(paths: Iterable[str | Path], *, max_doc_bytes: int = MAX_DOC_BYTES
                   ) -> list[Document]:
    """All documents behind the paths, in order; a bad document or a repeated id is an error.

    A document (a .txt file, a JSONL line, a CSV or Parquet row) over ``max_doc_bytes``
    is an error too.
    """
    docs: list[Document] = []
    seen: dict[str, str] = {}
    for path in expand_paths(paths):
        try:
            for doc in read_file(path, max_doc_bytes):
                if isinstance(doc, InputError):
                    raise doc
                if doc.id in seen:
                    raise DuplicateError(path, f"duplicate document id (also in {seen[doc.id]})",
                                         record=doc.id)
                seen[doc.id] = doc.source
                docs.append(doc)
        except OSError as exc:
            raise _io_error(path, exc) from None
    return docs


def _skipped(exc: InputError, path: Path) -> Skipped:
    where = exc.path + (f":{exc.line}" if exc.line is not None else "")
    return Skipped(id=exc.record or (f"{path.name}:{exc.line}" if exc.line else path.stem),
                   source=where, reason=exc.reason)


def raw_records(paths: Iterable[str | Path], max_doc_bytes: int = MAX_DOC_BYTES) -> Iterator:
    """Cheap, unparsed records behind the paths, for :func:`parse_record` to finish.

    A JSONL line or a .txt file is passed on unread, so the costly part (decoding and
    parsing) can run in whichever process tags it. CSV and Parquet files are parsed here,
    streamed, and their rows passed on as documents, or as a Skipped for each bad row.
    Missing paths still raise: that is a mistake in the command, not in a document.
    """
    for path in expand_paths(paths):
        if str(path) == STDIN:
            raise InputError(STDIN, "standard input holds one document, not a stream of them")
        suffix = path.suffix.lower()
        try:
            if suffix in JSONL_SUFFIXES:
                seen_any = False
                for lineno, raw in _jsonl_lines(path, max_doc_bytes):
                    seen_any = True
                    if raw is None:
                        yield Skipped(id=f"{path.name}:{lineno}", source=f"{path}:{lineno}",
                                      reason=_too_large(max_doc_bytes))
                    else:
                        yield ("jsonl", str(path), lineno, raw)
                if not seen_any:
                    yield Skipped(id=path.stem, source=str(path), reason="is empty")
            elif suffix in TEXT_SUFFIXES:
                yield ("txt", str(path))
            else:
                for item in read_file(path, max_doc_bytes):
                    yield _skipped(item, path) if isinstance(item, InputError) else item
        except InputError as exc:
            yield _skipped(exc, path)
        except OSError as exc:
            yield Skipped(id=path.stem, source=str(path),
                          reason=f"cannot be read ({exc.strerror or exc})")


def parse_record(record, max_doc_bytes: int = MAX_DOC_BYTES) -> Document | Skipped:
    """A Document from a raw record, or a Skipped saying why it cannot be read."""
    if isinstance(record, (Document, Skipped)):
        return record
    if record[0] == "txt":
        path = Path(record[1])
        try:
            return next(_read_txt(path, max_doc_bytes))
        except InputError as exc:
            return Skipped(id=path.stem, source=str(path), reason=exc.reason)
        except OSError as exc:
            return Skipped(id=path.stem, source=str(path), reason=f"cannot be read ({exc.strerror})")
    _, path, lineno, raw = record
    try:
        return _jsonl_document(raw, path, lineno, max_doc_bytes)
    except InputError as exc:
        return Skipped(id=exc.record or f"{Path(path).name}:{lineno}", source=f"{path}:{lineno}",
                       reason=exc.reason)


def iter_documents_lenient(paths: Iterable[str | Path], *, max_doc_bytes: int = MAX_DOC_BYTES
                           ) -> Iterator[Document | Skipped]:
    """Documents behind the paths, yielding a Skipped record for each unreadable one.

    A .txt file is one document, so a bad one is skipped alone. In JSONL, CSV and Parquet
    a bad record is skipped and reading goes on. Missing paths still raise: that is a
    mistake in the command.
    """
    return (parse_record(r, max_doc_bytes) for r in raw_records(paths, max_doc_bytes))
