"""One reader per input format, in one registry: every list of formats is made from it.

A reader yields, for one file, a :class:`Document` for each good record and an
:class:`InputError` in place of each bad one; a file that cannot be read at all raises.

Batch tagging reads files lazily: a reader with a ``lazy`` hook hands on cheap, unparsed
records (a path, a JSONL line) that are parsed where they are tagged, in a worker
(:func:`raw_records`, :func:`parse_raw`); one without it is parsed as it is read.
"""

from __future__ import annotations

import csv
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ..errors import InputError
from ..registry import Registry
from .decoding import SNIFF_BYTES, decode_bytes, read_bounded, sniff_encoding, text_encoding
from .records import (MAX_DOC_BYTES, STDIN, Document, check_text, from_json, from_mapping,
                      missing_columns, too_large)


@dataclass(frozen=True)
class Reader:
    """An input format: its name, file suffixes, what it holds, and its reader; ``records``
    and ``parse``, when it can be read lazily: ``records(path, cap)`` yields a file's raw
    records, cheap and picklable (or an InputError in place of a bad one), and
    ``parse(path, raw, cap)`` makes one a Document (raising InputError)."""

    name: str
    suffixes: tuple[str, ...]
    holds: str  # for the manual's table of formats
    read: Callable[..., Iterator]  # (path, cap, keep=()): keep names fields to carry along
    records: Callable[[Path, int], Iterator] | None = None
    parse: Callable[..., Document] | None = None  # (path, raw, cap, keep=())


READERS: Registry = Registry("input format", error=InputError)  # of Readers, by name


def reader(name: str, *suffixes: str, holds: str, lazy=None):
    """Register a reader for files with these suffixes. ``lazy``: "file" when a file is
    one document (its path is passed on, and the reader reads it where it is tagged), or
    a pair of functions ``(records, parse)`` (see :class:`Reader`)."""
    def register(fn):
        records, parse = ((_whole_file, _reading_with(fn)) if lazy == "file"
                          else lazy or (None, None))
        READERS.add(name, Reader(name, suffixes, holds, fn, records, parse))
        return fn
    return register


def _whole_file(path: Path, cap: int) -> Iterator[None]:
    yield None  # the file is the record: it is read where it is parsed


def _reading_with(read: Callable[..., Iterator]) -> Callable[..., Document]:
    """``parse`` of a format whose file is one document: the file read by ``read``."""
    def parse(path: str, raw: None, cap: int, keep=()) -> Document:
        item = next(read(Path(path), cap, keep))
        if isinstance(item, InputError):
            raise item
        return item
    return parse


def by_suffix(suffix: str) -> Reader | None:
    return next((r for r in READERS.values() if suffix.lower() in r.suffixes), None)


def suffixes() -> list[str]:
    """Every supported suffix, main ones first."""
    return [s for r in READERS.values() for s in r.suffixes]


def describe() -> str:
    """The formats, for messages and help: ".txt, .jsonl, .csv or .parquet"."""
    main = [r.suffixes[0] for r in READERS.values()]
    return ", ".join(main[:-1]) + " or " + main[-1]


@reader("txt", ".txt", holds="one document; its id is the file name without `.txt`",
        lazy="file")
def read_txt(path: Path, cap: int, keep=()) -> Iterator[Document]:
    raw = read_bounded(path, cap)
    if len(raw) > cap:
        raise InputError(path, too_large(cap))
    text = check_text(decode_bytes(raw, path), path)
    yield Document(id=path.stem, text=text, source=str(path))


@reader("html", ".html", ".htm", holds="a saved web page: its article text, title and date, extracted by trafilatura; id is the file name without the suffix",
        lazy="file")
def read_html(path: Path, cap: int, keep=()) -> Iterator[Document]:
    from .pages import page_document

    raw = read_bounded(path, cap)
    if len(raw) > cap:
        raise InputError(path, too_large(cap))
    yield page_document(raw, path)


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


READ_BUFFER = 1 << 16


def jsonl_lines(path: Path, cap: int) -> Iterator[tuple[int, bytes | str | None]]:
    """The non-blank lines of a JSONL file: bytes for UTF-8 (decoded where parsed), text
    for UTF-16/32 files (whose lines cannot be cut as bytes)."""
    with path.open("rb") as fh:
        wide = sniff_encoding(fh.read(SNIFF_BYTES))
    # a UTF-8 BOM stays on the first line, where decode_bytes removes it. A buffer of
    # READ_BUFFER: with the default 8 KiB, a line of news (4 KiB on average) cost a read()
    # call or two, and reading 88 MB of lines took 3x as long (each worker reads the input)
    opened = (path.open("rb", buffering=READ_BUFFER) if wide is None or wide == "utf-8-sig"
              else path.open("r", encoding=wide, newline="", buffering=READ_BUFFER))
    lineno = 0
    try:
        with opened as fh:
            for lineno, raw in _capped_lines(fh, cap):
                if raw is None or not raw.isspace():  # strip() would copy the line
                    yield lineno, raw
    except UnicodeDecodeError:
        raise InputError(path, f"is not valid {wide.upper()} text from here on; the rest of the "
                               "file is not read", line=lineno + 1) from None


def _jsonl_records(path: Path, cap: int) -> Iterator[tuple | InputError]:
    """(line number, line) for each line, parsed later by :func:`_parse_jsonl`."""
    seen_any = False
    for lineno, raw in jsonl_lines(path, cap):
        seen_any = True
        yield InputError(path, too_large(cap), line=lineno) if raw is None else (lineno, raw)
    if not seen_any:
        raise InputError(path, "is empty")


def _parse_jsonl(path: str, record: tuple, cap: int, keep=()) -> Document:
    lineno, raw = record
    return from_json(raw, path, cap, line=lineno, keep=keep)


@reader("jsonl", ".jsonl", ".ndjson", holds="one JSON object a line: `id`, `text`, optional `title` (put before the text), `tags`, `date` (ISO 8601) and `source` (the outlet)",
        lazy=(_jsonl_records, _parse_jsonl))
def _read_jsonl(path: Path, cap: int, keep=()) -> Iterator[Document | InputError]:
    for record in _jsonl_records(path, cap):
        if isinstance(record, InputError):
            yield record
            continue
        try:
            yield _parse_jsonl(path, record, cap, keep)
        except InputError as exc:
            yield exc


@reader("csv", ".csv", holds="columns `id`, `text`, optional `title`, `tags`, `date` and `source`; streamed")
def _read_csv(path: Path, cap: int, keep=()) -> Iterator[Document | InputError]:
    """Rows of a CSV file, streamed; each error names the physical line its record starts on."""
    # the csv module's field cap is process-wide: raise it to the document cap
    csv.field_size_limit(max(cap + 1, csv.field_size_limit()))
    with path.open("r", encoding=text_encoding(path), newline="", buffering=READ_BUFFER) as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is None:
                raise InputError(path, "is empty")
            if header and header[0].startswith("\ufeff"):
                header[0] = header[0][1:]
            header = [h.strip() for h in header]
            missing_columns(path, header)
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
                    yield from_mapping(dict(zip(header, row)), path, cap, line=line, keep=keep)
                except InputError as exc:
                    yield exc
        except csv.Error as exc:
            raise InputError(path, f"malformed CSV ({exc}); the rest of the file is not read",
                             line=start if header else 1) from None
        except UnicodeDecodeError:
            raise InputError(path, f"is not valid {fh.encoding} text from here on",
                             line=reader.line_num + 1) from None


PARQUET_ROW_GROUP_CAP = 1 << 30  # bytes of one row group, uncompressed: read whole at once


PARQUET_COLUMNS = ("id", "title", "text", "tags", "date", "source", "url")


@reader("parquet", ".parquet", ".pq", holds="columns `id`, `text`, optional `title`, `tags`, `date` and `source`; read a few hundred rows at a time")
def _read_parquet(path: Path, cap: int, keep=()) -> Iterator[Document | InputError]:
    """Rows of a Parquet file, a few hundred at a time."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        columns = pf.schema_arrow.names
        sizes = [pf.metadata.row_group(i).total_byte_size for i in range(pf.num_row_groups)]
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise InputError(path, f"is not a readable Parquet file ({exc.__class__.__name__})") from None
    missing_columns(path, columns)
    if max(sizes, default=0) > PARQUET_ROW_GROUP_CAP:
        raise InputError(path, f"has a row group of {max(sizes):,} bytes, over the cap of "
                               f"{PARQUET_ROW_GROUP_CAP:,}; write it in smaller row groups")
    wanted = [c for c in dict.fromkeys([*PARQUET_COLUMNS, *keep]) if c in columns]
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=256, columns=wanted):
            for obj in batch.to_pylist():
                for col in ("id", "title", "text"):  # a column's type is the file's, not ours
                    v = obj.get(col)
                    if v is not None and not isinstance(v, str):
                        obj[col] = str(v)
                tags = obj.get("tags")
                if isinstance(tags, float) and tags != tags:  # NaN: pandas' missing value
                    obj["tags"] = None
                try:
                    yield from_mapping(obj, path, cap, record=f"row {row}", keep=keep)
                except InputError as exc:
                    yield exc
                row += 1
    except Exception as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(path, f"is not a readable Parquet file ({exc.__class__.__name__}); "
                               "the rest of the file is not read", record=f"row {row}") from None


def _read_stdin(cap: int) -> Iterator[Document]:
    raw = sys.stdin.buffer.read(cap + 1)
    if len(raw) > cap:
        raise InputError("<stdin>", too_large(cap))
    text = check_text(decode_bytes(raw, "<stdin>"), "<stdin>")
    yield Document(id="stdin", text=text, source="<stdin>")


def read_file(path: Path, max_doc_bytes: int = MAX_DOC_BYTES,
              keep=()) -> Iterator[Document | InputError]:
    """Documents in one file, in file order, and an InputError in place of each bad one.

    A file that cannot be read at all raises InputError.
    """
    if str(path) == STDIN:
        return _read_stdin(max_doc_bytes)
    return by_suffix(path.suffix).read(path, max_doc_bytes, keep)


def raw_records(path: Path, max_doc_bytes: int = MAX_DOC_BYTES, keep=()) -> Iterator:
    """One file's records for batch tagging, in file order: ``(format, path, raw)`` for
    each record of a lazy format, to be finished by :func:`parse_raw` where it is tagged;
    a Document (parsed here) for the others; an InputError in place of each bad one. A
    file that cannot be read at all raises InputError."""
    found = by_suffix(path.suffix)
    if found.records is None:
        return found.read(path, max_doc_bytes, keep)
    return (r if isinstance(r, InputError) else (found.name, str(path), r)
            for r in found.records(path, max_doc_bytes))


def parse_raw(record: tuple, max_doc_bytes: int = MAX_DOC_BYTES, keep=()) -> Document:
    """The Document of a ``(format, path, raw)`` record from :func:`raw_records`;
    InputError names the file and line when it cannot be read."""
    name, path, raw = record
    return READERS.lookup(name).parse(path, raw, max_doc_bytes, keep)
