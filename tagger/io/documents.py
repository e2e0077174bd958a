"""Documents behind paths: files, directories of them, or standard input.

Strict reading (:func:`read_documents`) raises :class:`InputError` naming the file and
line or record; the lenient stream used by batch tagging turns a bad document into a
:class:`Skipped` record and goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from ..errors import DuplicateError, InputError
from . import readers
from .readers import read_file
from .records import MAX_DOC_BYTES, STDIN, Document, Skipped


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
                           if f.is_file() and readers.by_suffix(f.suffix) is not None)
            if not files:
                raise InputError(path, f"holds no {readers.describe()} files")
            out.extend(files)
        elif path.is_file():
            if readers.by_suffix(path.suffix) is None:
                raise InputError(path, f"has an unsupported extension {path.suffix!r} "
                                       f"(use {readers.describe()})")
            out.append(path)
        else:
            raise InputError(path, "does not exist")
    return out


def _io_error(path, exc: OSError) -> InputError:
    return InputError(path, f"cannot be read ({exc.strerror or exc})")


def read_documents(paths: Iterable[str | Path], *, max_doc_bytes: int = MAX_DOC_BYTES,
                   keep=()) -> list[Document]:
    """All documents behind the paths, in order; a bad document or a repeated id is an error.

    A document (a .txt file, a JSONL line, a CSV or Parquet row) over ``max_doc_bytes``
    is an error too. ``keep`` names input fields each document carries along (as text).
    """
    docs: list[Document] = []
    seen: dict[str, str] = {}
    for path in expand_paths(paths):
        try:
            for doc in read_file(path, max_doc_bytes, keep):
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
    """A bad document as batch tagging lists it: its id (or file:line), where, and why."""
    where = exc.path + (f":{exc.line}" if exc.line is not None else "")
    return Skipped(id=exc.record or (f"{path.name}:{exc.line}" if exc.line else path.stem),
                   source=where, reason=exc.reason)


def raw_records(paths: Iterable[str | Path], max_doc_bytes: int = MAX_DOC_BYTES,
                keep=()) -> Iterator:
    """Cheap, unparsed records behind the paths, for :func:`parse_record` to finish.

    A record of a format its reader reads lazily (a JSONL line, a .txt or .html file) is
    passed on unread, so the costly part (decoding and parsing) can run in whichever
    process tags it; the other formats (CSV, Parquet) are parsed here, streamed, and their
    rows passed on as documents. A bad record is passed on as a Skipped. Missing paths
    still raise: that is a mistake in the command, not in a document.
    """
    for path in expand_paths(paths):
        if str(path) == STDIN:
            raise InputError(STDIN, "standard input holds one document, not a stream of them")
        try:
            for item in readers.raw_records(path, max_doc_bytes, keep):
                yield _skipped(item, path) if isinstance(item, InputError) else item
        except InputError as exc:
            yield _skipped(exc, path)
        except OSError as exc:
            yield _skipped(_io_error(path, exc), path)


def parse_record(record, max_doc_bytes: int = MAX_DOC_BYTES, keep=()) -> Document | Skipped:
    """A Document from a raw record, or a Skipped saying why it cannot be read."""
    if isinstance(record, (Document, Skipped)):
        return record
    try:
        return readers.parse_raw(record, max_doc_bytes, keep)
    except InputError as exc:
        return _skipped(exc, Path(record[1]))
    except OSError as exc:
        return _skipped(_io_error(record[1], exc), Path(record[1]))


def iter_documents_lenient(paths: Iterable[str | Path], *, max_doc_bytes: int = MAX_DOC_BYTES
                           ) -> Iterator[Document | Skipped]:
    """Documents behind the paths, yielding a Skipped record for each unreadable one.

    A .txt file is one document, so a bad one is skipped alone. In JSONL, CSV and Parquet
    a bad record is skipped and reading goes on. Missing paths still raise: that is a
    mistake in the command.
    """
    return (parse_record(r, max_doc_bytes) for r in raw_records(paths, max_doc_bytes))
