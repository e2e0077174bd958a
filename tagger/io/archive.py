"""An archive of tagged documents that grows day by day: the ids already in it, read and
checked before anything is added (see `tagger tag --incremental`). An archive must be in
this run's record layout (the same model, tags and kept fields): one in another layout,
or in the layout of an earlier tagger, is refused rather than mixed with new records."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Sequence

import msgspec

from ..errors import InputError
from .layout import OLD_LAYOUT, Layout, column_difference, is_old_layout
from .parquetout import parquet_schema
from .sqlitestore import sqlite_ids
from .writers import file_format, safe_cell

MAX_LINE_BYTES = 64 * 2**20  # one tagged document's record (evidence included) is far smaller
MAX_IDS = 50_000_000         # documents in one archive

_DATE = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]
# the type of each kind of column in a JSONL record (tagger.io.layout's kinds)
_JSON_TYPES = {"text": str, "note": str | None, "date": _DATE | None, "bool": bool, "score": float, "span": int | None}


def record_type(layout: Layout) -> type:
    """A JSONL record as `tagger tag` writes it in this layout, nothing more nor less (a
    key missing or added is another writer's record, refused as CSV and Parquet refuse
    another column)."""
    fields, rename = [], {}
    for i, (column, kind) in enumerate(zip(layout.columns(), layout.kinds())):
        fields.append((f"f{i}", _JSON_TYPES[kind]))
        rename[f"f{i}"] = column
    return msgspec.defstruct("Record", fields, rename=rename, forbid_unknown_fields=True)


def archive_ids(path: str | Path, fmt: str, layout: Layout) -> set[str]:
    """The document ids in an archive written by `tagger tag` in format ``fmt`` and in
    ``layout``; an archive in another layout, or tagged by another model, is refused."""
    path = Path(path)
    fmt = file_format(fmt).reads_as or fmt
    try:
        if fmt == "sqlite":
            return sqlite_ids(path, layout, MAX_IDS)
        return {"jsonl": _jsonl_ids, "csv": _csv_ids, "parquet": _parquet_ids}[fmt](path, layout)
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror or exc})") from None


def _too_many(path: Path) -> InputError:
    return InputError(path, f"holds more than {MAX_IDS:,} documents, the cap for one archive; "
                            "start a new one")


def other_model(path, old: str, new: str, line: int | None = None) -> InputError:
    """An archive tagged with another model: only a SQLite archive, which keeps the text,
    can be tagged again."""
    return InputError(path, f"was tagged with model {old}, not with this model {new}; one "
                            "archive holds one model's tags: start a new archive (a SQLite "
                            "archive keeps the text to tag its documents again)", line=line)


class _Ids:
    """Ids gathered from an archive, each once, with its model checked."""

    def __init__(self, path: Path, model: str):
        self.path, self.model, self.ids = path, model, set()

    def add(self, doc_id: str, model: str, line: int | None = None) -> None:
        if model != self.model:
            raise other_model(self.path, model, self.model, line)
        if doc_id in self.ids:
            raise InputError(self.path, f"holds document {doc_id!r} twice", line=line)
        self.ids.add(doc_id)
        if len(self.ids) > MAX_IDS:
            raise _too_many(self.path)


def _jsonl_ids(path: Path, layout: Layout) -> set[str]:
    decode = msgspec.json.Decoder(record_type(layout)).decode
    columns = layout.columns()
    found = _Ids(path, layout.model)
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
                record = decode(line)
            except msgspec.DecodeError as exc:
                raise _not_a_record(path, line, columns, exc, lineno) from None
            found.add(record.f0, getattr(record, f"f{len(layout.keep) + 5}"), lineno)
    return found.ids


def _not_a_record(path: Path, line: bytes, columns: list[str], exc, lineno: int) -> InputError:
    """Why a JSONL line is not a record of this layout: not JSON, the old layout, other
    keys, or a value of the wrong type."""
    try:
        obj = json.loads(line)
    except ValueError:
        return InputError(path, "is not JSON; not an archive written by tagger tag", line=lineno)
    if not isinstance(obj, dict):
        return InputError(path, "is not a tagged document (a JSON object)", line=lineno)
    if is_old_layout(obj):
        return InputError(path, OLD_LAYOUT, line=lineno)
    if set(obj) != set(columns):
        return InputError(path, column_difference(columns, list(obj)), line=lineno)
    return InputError(path, f"is not a record tagger tag writes ({exc}); add to an archive "
                            "tagger tag wrote", line=lineno)


def _csv_ids(path: Path, layout: Layout) -> set[str]:
    expected = [safe_cell(c) for c in layout.columns()]
    model_at = len(layout.keep) + 5
    found = _Ids(path, layout.model)
    # a kept text may be long: the csv module's field cap (process-wide) is raised to a line's
    csv.field_size_limit(max(MAX_LINE_BYTES, csv.field_size_limit()))
    # utf-8-sig: an archive written for Excel starts with a byte order mark
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = csv.reader(fh)
        try:
            header = next(rows, None) or []
            if is_old_layout(header):
                raise InputError(path, OLD_LAYOUT, line=1)
            if header != expected:
                raise InputError(path, column_difference(expected, header), line=1)
            for lineno, row in enumerate(rows, 2):
                if len(row) != len(expected):
                    raise InputError(path, f"has {len(row)} fields, not {len(expected)}",
                                     line=lineno)
                found.add(row[0], row[model_at], lineno)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(path, f"is not a CSV file tagger tag wrote ({exc})",
                             line=rows.line_num) from None
    return found.ids


def _parquet_ids(path: Path, layout: Layout) -> set[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, ValueError) as exc:
        raise InputError(path, f"is not a Parquet file ({exc})") from None
    schema = pf.schema_arrow
    if is_old_layout(schema.names):
        raise InputError(path, OLD_LAYOUT)
    expected = parquet_schema(layout)
    if not schema.equals(expected, check_metadata=False):
        raise InputError(path, column_difference(expected.names, schema.names)
                         if schema.names != expected.names else
                         "has the columns of this run in other types; not written by tagger tag")
    if pf.metadata.num_rows > MAX_IDS:
        raise _too_many(path)
    found = _Ids(path, layout.model)
    for batch in pf.iter_batches(columns=["id", "model"], batch_size=65536):
        for doc_id, model in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
            found.add(doc_id, model)
    return found.ids

