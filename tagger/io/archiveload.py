"""Any archive `tagger tag` wrote (JSONL, CSV, Parquet), loaded into a new SQLite archive,
the form `tagger browse` reads. The archive is checked as `--incremental` checks it (its
layout, its model, each id once) before a row is loaded. Only a SQLite archive keeps the
article text; from the others the text comes only when it was kept (``--keep text``), so
full-text search covers the titles alone otherwise."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import date as _date
from pathlib import Path
from typing import Iterator

import msgspec

from ..errors import InputError
from .archive import archive_ids, record_type
from .decoding import read_capped
from .layout import TEXT_COLUMN, Layout, meta_file
from .parquetout import parquet_metadata
from .sqlitestore import add_run, fill
from .writers import output_format

META_CAP = 4 * 2**20  # bytes of OUT.meta.json: a thousand tags take under 100 kB
BATCH = 1000


class _Tag(msgspec.Struct):
    id: str
    threshold: float | None = None


class _Meta(msgspec.Struct):
    """The metadata of a file in the record layout (Layout.metadata())."""

    model: str
    tags: list[_Tag]
    layout_version: int = 0
    model_name: str = ""
    keep: list[str] = []
    columns: list[str] = []


def _metadata(path: Path, fmt: str) -> dict:
    if fmt == "parquet":
        raw = parquet_metadata(path)
        where = path
    else:
        where = meta_file(path)
        if not where.is_file():
            raise InputError(path, f"has no {where.name} beside it (tagger tag writes it with "
                                   "the file: the model and its thresholds); copy it along")
        raw = read_capped(where, META_CAP, "metadata file")
    try:
        meta = msgspec.convert(json.loads(raw) if isinstance(raw, bytes) else raw, _Meta)
    except (ValueError, msgspec.ValidationError) as exc:
        raise InputError(where, f"is not the metadata tagger tag writes ({exc})") from None
    return msgspec.to_builtins(meta)


def as_sqlite(path: str | Path, folder: str | Path) -> Path:
    """The archive ``path`` as a SQLite archive: itself when it is one, else loaded into a
    new one in ``folder`` (under the same file name)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "does not exist" if not path.exists() else "is not a file")
    with path.open("rb") as fh:
        if fh.read(16) == b"SQLite format 3\x00":
            return path
    fmt = output_format(path, None)
    if fmt == "sqlite":
        raise InputError(path, "is not a tagger archive (not an SQLite file)")
    dest = Path(folder) / path.name
    load_archive(path, fmt, dest)
    return dest


def load_archive(path: str | Path, fmt: str, dest: str | Path) -> int:
    """Load the archive ``path`` (format ``fmt``: jsonl, csv or parquet) into a new SQLite
    archive at ``dest``; returns the number of documents."""
    path = Path(path)
    meta = _metadata(path, fmt)
    layout = Layout(tuple(t["id"] for t in meta["tags"]), tuple(meta["keep"]), meta["model"])
    n = len(archive_ids(path, fmt, layout))  # the same checks as adding to it
    text = [] if TEXT_COLUMN in layout.keep else [None]
    rows = {"jsonl": _jsonl_rows, "csv": _csv_rows, "parquet": _parquet_rows}[fmt](path, layout)
    db = sqlite3.connect(dest)
    try:
        fill(db, layout, meta, ([[*row, *text] for row in batch] for batch in rows))
        db.commit()
    finally:
        db.close()
    drift = Path(str(path) + ".drift.json")
    if drift.is_file():
        try:
            report = json.loads(read_capped(drift, META_CAP, "drift report"))
        except (ValueError, InputError):
            report = None  # a report that cannot be read: the page shows no warnings
        add_run(dest, {"model": layout.model, "model_name": meta["model_name"],
                       "documents": n, "inputs": [str(path)], "drift": report})
    return n


def _batches(rows) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _jsonl_rows(path: Path, layout: Layout) -> Iterator[list]:
    decode = msgspec.json.Decoder(record_type(layout)).decode
    with open(path, "rb") as fh:  # checked line by line already, by archive_ids
        yield from _batches(list(msgspec.structs.astuple(decode(line)))
                            for line in fh if line.strip())


# A CSV cell back to its value, by the kind of its column (tagger.io.layout)
_FROM_CELL = {"text": lambda v: v, "note": lambda v: v or None, "date": lambda v: v or None, "bool": lambda v: v == "true",
              "score": float, "span": lambda v: int(v) if v else None}


def _csv_rows(path: Path, layout: Layout) -> Iterator[list]:
    cells = [_FROM_CELL[k] for k in layout.kinds()]

    def rows():
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            for lineno, row in enumerate(reader, 2):
                try:
                    yield [f(v) for f, v in zip(cells, row)]
                except ValueError:
                    raise InputError(path, "has a score or span that is not a number",
                                     line=lineno) from None
    return _batches(rows())


def _parquet_rows(path: Path, layout: Layout) -> Iterator[list]:
    import pyarrow.parquet as pq

    columns = layout.columns()
    for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH, columns=columns):
        rows = [list(r) for r in zip(*(c.to_pylist() for c in batch.columns))]
        for r in rows:
            r[1] = r[1].isoformat() if isinstance(r[1], _date) else r[1]
        yield rows

