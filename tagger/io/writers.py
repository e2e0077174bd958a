"""Writing tagged documents: how the output formats (:mod:`tagger.io.formats`) render the
predictions `predict` prints (table, JSON, JSONL, CSV) and the files `tag` writes (JSONL,
CSV, CSV for Excel, Parquet, SQLite). Every format but the table writes the one record
layout of :mod:`tagger.io.layout`.

To add a printed format, write a function ``(predictions, docs, layout) -> str`` and
attach it with ``renders(name, "predictions")``; to add an output file format, attach a
:class:`FileFormat` with ``renders(name, "file")``.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Sequence

from ..errors import InputError
from ..text.tables import plain_table
from . import parquetout, sqlitebuild, sqlitestore
from .formats import formats_for, renderer, renders
from .layout import Layout


def record_dicts(predictions: Sequence, docs: Sequence, layout: Layout) -> list[dict]:
    """The records as objects, one per document (JSON's null for a missing value)."""
    columns = layout.columns()
    return [dict(zip(columns, row)) for row in layout.rows(predictions, docs)]


@renders("json", "predictions")
def json_text(predictions: Sequence, docs: Sequence, layout: Layout) -> str:
    """One JSON array of records."""
    rows = record_dicts(predictions, docs, layout)
    return json.dumps(rows, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


@renders("jsonl", "predictions")
def jsonl_text(predictions: Sequence, docs: Sequence, layout: Layout) -> str:
    return jsonl_bytes(predictions, docs, layout).decode()


def jsonl_bytes(predictions: Sequence, docs: Sequence, layout: Layout) -> bytes:
    """One compact JSON object per line, UTF-8."""
    rows = record_dicts(predictions, docs, layout)
    try:
        from orjson import dumps
    except ImportError:  # pragma: no cover
        return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                       for r in rows).encode()
    return b"".join(dumps(r) + b"\n" for r in rows)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _blank(v):
    return "" if v is None else v


# How each kind of column (tagger.io.layout) is written in a CSV cell: empty for a missing
# value, true/false for a decision (read as booleans by pandas and by spreadsheets). Every
# cell then passes safe_cell: an archive being browsed may hold anything in any column.
_CELL = {"text": _blank, "note": _blank, "date": _blank, "span": _blank,
         "bool": lambda v: "true" if v else "false",
         "score": lambda v: f"{v:.6f}" if isinstance(v, (int, float)) else _blank(v)}


@renders("csv", "predictions")
def csv_text(predictions: Sequence, docs: Sequence, layout: Layout, *,
             header: bool = True) -> str:
    """CSV rows in the record layout, after a header (unless ``header`` is false)."""
    return csv_table(layout, layout.rows(predictions, docs), header=header)


def csv_table(layout: Layout, rows, *, header: bool = True, bom: bool = False) -> str:
    """Rows of values in the layout's columns (as Layout.rows gives them, or as a SQLite
    archive holds them) as CSV text; with ``bom``, for Excel."""
    buf = io.StringIO()
    buf.write("\ufeff" if bom else "")  # Excel reads a CSV as UTF-8 only after this mark
    writer = csv.writer(buf, lineterminator="\n")
    if header:
        writer.writerow([safe_cell(c) for c in layout.columns()])
    cells = [_CELL[k] for k in layout.kinds()]
    writer.writerows([safe_cell(f(v)) for f, v in zip(cells, row)] for row in rows)
    return buf.getvalue()


def format_predictions(predictions: Sequence, docs: Sequence, layout: Layout, fmt: str) -> str:
    """Render predictions (of ``docs``, in order) in a format that prints them; every
    format ends with a newline."""
    return renderer(fmt, "predictions")(list(predictions), list(docs), layout)


@renders("table", "predictions")
def table_text(predictions: Sequence, docs: Sequence, layout: Layout) -> str:
    """Aligned columns for people: id, date (when any document has one), tags, then a
    score per tag (the top three when there are many)."""
    tags = layout.tags
    wide = len(tags) <= 6
    dated = any(p.date for p in predictions)
    header = ["id", *(["date"] if dated else []), "tags"] + (list(tags) if wide else ["top scores"])
    body = []
    for p in predictions:
        if wide:
            scores = [f"{p.scores[t]:.3f}" for t in tags]
        else:
            top = sorted(p.scores.items(), key=lambda kv: -kv[1])[:3]
            scores = [", ".join(f"{t}={s:.3f}" for t, s in top)]
        body.append([p.id, *([p.date or "-"] if dated else []), ", ".join(p.tags) or "-", *scores])
    return plain_table(header, body) + "\n"


# ---- files written by batch tagging: rendered a chunk at a time, joined at the end ----

@dataclass(frozen=True)
class FileFormat:
    """How a format is written to a file by `tag`: each chunk is rendered on its own (in
    whichever process tagged it), and the rendered parts are joined into the output,
    leaving out given rows."""

    suffixes: tuple[str, ...]
    # (predictions, docs, layout) -> the chunk's bytes
    render: Callable[[Sequence, Sequence, Layout], bytes]
    # (parts, fh, layout, {part: rows to leave out}, base, meta): with ``base``, an archive
    # of the same format and columns, whose records come first; ``meta`` is
    # Layout.metadata(), for formats that carry it
    join: Callable[..., None]
    # a format with no place for metadata of its own gets it beside it, in OUT.meta.json
    sidecar: bool = False
    # the format an archive written in it is read as (csv-excel's is csv)
    reads_as: str = ""
    # (path, layout, base) -> a builder of an output built a part at a time as the run
    # tags (add_part(part, rows to leave out), finish(meta), install(out), discard()), for
    # a format whose join costs too much to leave to the end (tagger.batch.feed)
    build: Callable[..., object] | None = None


def _lines_without(data: bytes, rows) -> bytes:
    return b"".join(line for i, line in enumerate(data.splitlines(keepends=True)) if i not in rows)


def _csv_without(data: bytes, rows) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    writer.writerows(r for i, r in enumerate(reader) if i not in rows)
    return buf.getvalue().encode("utf-8")


def _last_byte(fh) -> bytes:
    fh.seek(-1, 2)
    return fh.read(1)


def _concatenate(header: Callable[[Layout], bytes], without):
    """Join parts by concatenation, after a header; ``without`` drops rows from a part."""
    def join(parts: Sequence[Path], fh: BinaryIO, layout: Layout, drop: dict,
             base: Path | None = None, meta: dict | None = None) -> None:
        if base is None:
            fh.write(header(layout))
        else:  # the archive, header and all, then the new records
            with open(base, "rb") as src:
                shutil.copyfileobj(src, fh)
                if src.tell() and _last_byte(src) != b"\n":
                    fh.write(b"\n")
        for i, part in enumerate(parts):
            if i in drop:
                fh.write(without(part.read_bytes(), drop[i]))
                continue
            with open(part, "rb") as src:
                shutil.copyfileobj(src, fh)
    return join


def _csv_header(bom: bool) -> Callable[[Layout], bytes]:
    return lambda layout: csv_table(layout, [], bom=bom).encode()


def _csv_part(preds, docs, layout) -> bytes:
    return csv_text(preds, docs, layout, header=False).encode()


renders("jsonl", "file")(FileFormat((".jsonl", ".ndjson"), jsonl_bytes,
                                    _concatenate(lambda layout: b"", _lines_without),
                                    sidecar=True))
renders("csv", "file", help="UTF-8, no byte order mark")(
    FileFormat((".csv",), _csv_part, _concatenate(_csv_header(False), _csv_without), sidecar=True))
renders("csv-excel", "file", help="CSV that starts with a UTF-8 byte order mark, as Excel "
                                  "needs; the same as --bom")(
    FileFormat((".csv",), _csv_part, _concatenate(_csv_header(True), _csv_without),
               sidecar=True, reads_as="csv"))
renders("parquet", "file", help="typed columns; metadata in the file")(
    FileFormat((".parquet", ".pq"), parquetout.parquet_bytes, parquetout.parquet_join))
renders("sqlite", "file", help="an archive: the article text too, full-text search, the "
                               "runs; opens in sqlite3, sqlite-utils and Datasette")(
    FileFormat((".sqlite", ".db", ".sqlite3"), sqlitestore.part_bytes, sqlitebuild.join,
               build=sqlitebuild.ArchiveBuild))


def file_format(name: str) -> FileFormat:
    """How format ``name`` writes a file; a format that writes none raises, listing those
    that do."""
    return renderer(name, "file")


def output_format(out: str | Path, fmt: str | None) -> str:
    """The output format, as given, or from the output file's extension."""
    files = formats_for("file")
    if fmt:
        if fmt not in files:
            raise InputError(out, f"unknown output format {fmt!r} (use {', '.join(files)})")
        return fmt
    suffix = Path(out).suffix.lower()
    for name in files:
        if suffix in file_format(name).suffixes:
            return name
    raise InputError(out, "cannot tell the output format from the extension: use "
                          f"{describe_outputs()}, or name the format")


def describe_outputs() -> str:
    """".jsonl, .csv or .parquet": the output file extensions, for messages and help."""
    main = list(dict.fromkeys(file_format(name).suffixes[0] for name in formats_for("file")))
    return ", ".join(main[:-1]) + " or " + main[-1]


def render_part(predictions, docs: Sequence, layout: Layout, fmt: str) -> bytes:
    """One chunk's predictions (of ``docs``, in order), rendered in output format ``fmt``."""
    return file_format(fmt).render(predictions, docs, layout)
