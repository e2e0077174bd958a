"""An archive of tagged documents that grows day by day: the ids already in it, read and
checked before anything is added (see `tagger tag --incremental`)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Sequence

import msgspec

from ..errors import InputError
from .sqlitestore import sqlite_ids
from .writers import csv_text, parquet_schema, record_columns

MAX_LINE_BYTES = 64 * 2**20  # one tagged document's record (evidence included) is far smaller
MAX_IDS = 50_000_000         # documents in one archive


class Evidence(msgspec.Struct, forbid_unknown_fields=True):
    """A tag's evidence in a JSONL record: its sentence and the sentence's span."""

    text: str
    start: int
    end: int
    score: float


class ArchiveRecord(msgspec.Struct, forbid_unknown_fields=True):
    """One JSONL record as `tagger tag` writes it: nothing more (another key is another
    writer's column, refused as the CSV and Parquet archives refuse one)."""

    id: str
    scores: dict[str, float]
    tags: list[str] = []
    date: Annotated[str, msgspec.Meta(pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = ""
    evidence: dict[str, Evidence] | None = None


def archive_ids(path: str | Path, fmt: str, tags: Sequence[str], evidence: bool) -> set[str]:
    """The document ids in an archive written by `tagger tag` in format ``fmt`` with these
    tags (and evidence columns, or not); an archive with other columns is refused."""
    path = Path(path)
    try:
        if fmt == "sqlite":
            return sqlite_ids(path, list(tags), MAX_IDS, record_columns)
        return {"jsonl": _jsonl_ids, "csv": _csv_ids, "parquet": _parquet_ids}[fmt](
            path, list(tags), evidence)
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror or exc})") from None


def _too_many(path: Path) -> InputError:
    return InputError(path, f"holds more than {MAX_IDS:,} documents, the cap for one archive; "
                            "start a new one")


def _other_columns(evidence_differs: bool, evidence: bool) -> str:
    if evidence_differs:
        return (f"was written {'without' if evidence else 'with'} the evidence columns; add to "
                "it the same way it was written")
    return ("has other columns than this model writes (another model's tags, or not written by "
            "tagger tag); add to an archive of the same model")


def _jsonl_ids(path: Path, tags: list[str], evidence: bool) -> set[str]:
    ids: set[str] = set()
    with open(path, "rb") as fh:
        lineno = 0
        while line := fh.readline(MAX_LINE_BYTES + 1):
            lineno += 1
            if len(line) > MAX_LINE_BYTES:
                raise InputError(path, f"has a line over {MAX_LINE_BYTES:,} bytes; not an "
                                       "archive written by tagger tag", line=lineno)
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                raise InputError(path, "is not JSON; not an archive written by tagger tag",
                                 line=lineno) from None
            if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) \
                    or not isinstance(obj.get("scores"), dict):
                raise InputError(path, "is not a tagged document (an object with 'id' and "
                                       "'scores')", line=lineno)
            if set(obj["scores"]) != set(tags):
                raise InputError(path, "was tagged with other tags than this model's; add to "
                                       "an archive of the same model", line=lineno)
            try:
                msgspec.convert(obj, ArchiveRecord)
            except msgspec.ValidationError as exc:
                raise InputError(path, f"is not a record tagger tag writes ({exc}); add to an "
                                       "archive tagger tag wrote", line=lineno) from None
            if obj["id"] in ids:
                raise InputError(path, f"holds document {obj['id']!r} twice", line=lineno)
            ids.add(obj["id"])
            if len(ids) > MAX_IDS:
                raise _too_many(path)
    return ids


def _csv_ids(path: Path, tags: list[str], evidence: bool) -> set[str]:
    expected = next(csv.reader([csv_text([], tags, evidence=evidence)]))
    ids: set[str] = set()
    with open(path, encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows, None)
        if header != expected:
            other = next(csv.reader([csv_text([], tags, evidence=not evidence)]))
            raise InputError(path, _other_columns(header == other, evidence), line=1)
        for lineno, row in enumerate(rows, 2):
            if len(row) != len(expected):
                raise InputError(path, f"has {len(row)} fields, not {len(expected)}", line=lineno)
            if row[0] in ids:
                raise InputError(path, f"holds document {row[0]!r} twice", line=lineno)
            ids.add(row[0])
            if len(ids) > MAX_IDS:
                raise _too_many(path)
    return ids


def _parquet_ids(path: Path, tags: list[str], evidence: bool) -> set[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, ValueError) as exc:
        raise InputError(path, f"is not a Parquet file ({exc})") from None
    if not pf.schema_arrow.equals(parquet_schema(tags, evidence)):
        raise InputError(path, _other_columns(
            pf.schema_arrow.equals(parquet_schema(tags, not evidence)), evidence))
    if pf.metadata.num_rows > MAX_IDS:
        raise _too_many(path)
    ids: set[str] = set()
    for batch in pf.iter_batches(columns=["id"], batch_size=65536):
        for doc_id in batch.column(0).to_pylist():
            if doc_id in ids:
                raise InputError(path, f"holds document {doc_id!r} twice")
            ids.add(doc_id)
    return ids
