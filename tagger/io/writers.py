"""Writing predictions, in two registries: the formats `predict` prints (table, JSON, JSONL,
CSV) and the files `tag` writes (JSONL, CSV, Parquet). Every list of formats in help text,
errors and the README is made from these registries.

To add a printed format, write a function ``(predictions, tags) -> str`` and register it
with :func:`printer`; to add an output file format, register an :class:`OutputFormat`.
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
from . import sqlitestore

PRINTERS: dict[str, Callable[[Sequence, Sequence[str]], str]] = {}


def printer(name: str):
    """Register a format `predict` can print."""
    def register(fn):
        PRINTERS[name] = fn
        return fn
    return register


@printer("json")
def json_text(predictions: Sequence, tags: Sequence[str]) -> str:
    """One JSON array of {id, tags, scores}."""
    rows = [p.to_dict() for p in predictions]
    return json.dumps(rows, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


@printer("jsonl")
def jsonl_text(predictions: Sequence, tags: Sequence[str]) -> str:
    return jsonl_bytes(predictions).decode()


def jsonl_bytes(predictions: Sequence, tags: Sequence[str] = ()) -> bytes:
    """One compact JSON object per line, UTF-8."""
    try:
        from orjson import dumps
    except ImportError:  # pragma: no cover
        return "".join(json.dumps(p.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"
                       for p in predictions).encode()
    return b"".join(dumps(p.to_dict()) + b"\n" for p in predictions)


EVIDENCE_FIELDS = ("evidence", "start", "end")
FIXED_COLUMNS = ("id", "date", "tags")  # before the tags' columns in CSV and Parquet


def tag_columns(tag: str) -> tuple[str, ...]:
    """Every column a tag takes in the CSV and Parquet files: its score, then its evidence
    sentence and span. The one place the layout is spelled; tag ids are checked against it
    (no tag may take a column another tag or a fixed column has)."""
    return (tag, *(f"{tag}.{f}" for f in EVIDENCE_FIELDS))


def record_columns(tag: str) -> tuple[str, ...]:
    """A tag's columns in a SQLite archive: the decision, its probability, its evidence
    sentence and the sentence's span (the layout the other formats are to share)."""
    return (tag, f"{tag}_score", f"{tag}_evidence", f"{tag}_start", f"{tag}_end")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def evidence_columns(tags: Sequence[str]) -> list[str]:
    """Per tag, its evidence sentence and the sentence's span: TAG.evidence, TAG.start,
    TAG.end (empty where the tag was not given)."""
    return [c for t in tags for c in tag_columns(t)[1:]]


def _evidence_cells(p, tags: Sequence[str]) -> list:
    cells = []
    for t in tags:
        e = (p.evidence or {}).get(t)
        cells += [e["text"], e["start"], e["end"]] if e else [None, None, None]
    return cells


def _has_evidence(predictions: Sequence) -> bool:
    return any(p.evidence is not None for p in predictions)


@printer("csv")
def csv_text(predictions: Sequence, tags: Sequence[str], *, header: bool = True,
             evidence: bool | None = None) -> str:
    """CSV rows: id, date (empty when unknown), tags joined by ';', one score column per
    tag, then (with evidence) the evidence columns of :func:`evidence_columns`."""
    evidence = _has_evidence(predictions) if evidence is None else evidence
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if header:
        writer.writerow(["id", "date", "tags", *tags, *(evidence_columns(tags) if evidence else ())])
    for p in predictions:
        writer.writerow([safe_cell(c) for c in
                         [p.id, p.date, ";".join(p.tags), *(f"{p.scores[t]:.6f}" for t in tags),
                          *(_evidence_cells(p, tags) if evidence else ())]])
    return buf.getvalue()


def format_predictions(predictions: Sequence, tags: Sequence[str], fmt: str) -> str:
    """Render predictions in one of the PRINTERS; every format ends with a newline."""
    if fmt not in PRINTERS:
        raise ValueError(f"unknown format {fmt!r} (use {', '.join(PRINTERS)})")
    return PRINTERS[fmt](list(predictions), tags)


@printer("table")
def table_text(predictions: Sequence, tags: Sequence[str]) -> str:
    """Aligned columns: id, date (when any document has one), tags, then a score per tag
    (the top three when there are many)."""
    rows = [p.to_dict() for p in predictions]
    wide = len(tags) <= 6
    dated = any("date" in r for r in rows)
    header = ["id", *(["date"] if dated else []), "tags"] + (list(tags) if wide else ["top scores"])
    body = []
    for r in rows:
        if wide:
            scores = [f"{r['scores'][t]:.3f}" for t in tags]
        else:
            top = sorted(r["scores"].items(), key=lambda kv: -kv[1])[:3]
            scores = [", ".join(f"{t}={s:.3f}" for t, s in top)]
        body.append([r["id"], *([r.get("date") or "-"] if dated else []),
                     ", ".join(r["tags"]) or "-", *scores])
    return plain_table(header, body) + "\n"


# ---- files written by batch tagging: rendered a chunk at a time, joined at the end ----

@dataclass(frozen=True)
class OutputFormat:
    """A file format `tag` writes: each chunk is rendered on its own (in whichever process
    tagged it), and the rendered parts are joined into the output, leaving out given rows."""

    name: str
    suffixes: tuple[str, ...]
    # (predictions, tags, evidence, documents)
    render: Callable[[Sequence, Sequence[str], bool, Sequence], bytes]
    # (parts, out, tags, {part: rows to leave out}, evidence, base): with ``base``, an
    # archive of the same format and columns, whose records come first
    join: Callable[..., None]


OUTPUT_FORMATS: dict[str, OutputFormat] = {}


def _register(fmt: OutputFormat) -> None:
    OUTPUT_FORMATS[fmt.name] = fmt


def _lines_without(data: bytes, rows) -> bytes:
    return b"".join(line for i, line in enumerate(data.splitlines(keepends=True)) if i not in rows)


def _csv_without(data: bytes, rows) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    writer.writerows(r for i, r in enumerate(reader) if i not in rows)
    return buf.getvalue().encode("utf-8")


def _concatenate(header: Callable[[Sequence[str], bool], bytes], without):
    """Join parts by concatenation, after a header; ``without`` drops rows from a part."""
    def join(parts: Sequence[Path], fh: BinaryIO, tags: Sequence[str], drop: dict,
             evidence: bool, base: Path | None = None, meta: dict | None = None) -> None:
        if base is None:
            fh.write(header(tags, evidence))
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


def parquet_schema(tags: Sequence[str], evidence: bool):
    """The columns of the Parquet files `tag` writes, for these tags."""
    import pyarrow as pa

    kinds = {"evidence": pa.string(), "start": pa.int64(), "end": pa.int64()}
    return pa.schema([("id", pa.string()), ("date", pa.string()), ("tags", pa.list_(pa.string())),
                      *((t, pa.float64()) for t in tags),
                      *((c, kinds[c.rsplit(".", 1)[1]]) for c in
                        (evidence_columns(tags) if evidence else ()))])


def parquet_bytes(predictions: Sequence, tags: Sequence[str], evidence: bool = False) -> bytes:
    """A Parquet file of id, date (null when unknown), tags (a list), a score column per
    tag, and with evidence the columns of :func:`evidence_columns`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(tags, evidence)
    columns = {"id": [p.id for p in predictions], "date": [p.date or None for p in predictions],
               "tags": [p.tags for p in predictions],
               **{t: [p.scores[t] for p in predictions] for t in tags}}
    if evidence:
        cells = [_evidence_cells(p, tags) for p in predictions]
        for j, name in enumerate(evidence_columns(tags)):
            columns[name] = [row[j] for row in cells]
    table = pa.table({name: pa.array(columns[name], schema.field(name).type)
                      for name in schema.names}, schema=schema)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _last_byte(fh) -> bytes:
    fh.seek(-1, 2)
    return fh.read(1)


def _parquet_join(parts: Sequence[Path], fh: BinaryIO, tags: Sequence[str], drop: dict,
                  evidence: bool, base: Path | None = None, meta: dict | None = None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with pq.ParquetWriter(fh, parquet_schema(tags, evidence)) as writer:
        if base is not None:
            for batch in pq.ParquetFile(base).iter_batches(batch_size=65536):
                writer.write_batch(batch)
        for i, part in enumerate(parts):
            table = pq.read_table(part)
            if i in drop:
                table = table.filter(pa.array([r not in drop[i] for r in range(len(table))]))
            writer.write_table(table)


_register(OutputFormat("jsonl", (".jsonl", ".ndjson"),
                       lambda preds, tags, evidence, docs: jsonl_bytes(preds),
                       _concatenate(lambda tags, evidence: b"", _lines_without)))
_register(OutputFormat("csv", (".csv",),
                       lambda preds, tags, evidence, docs: csv_text(preds, tags, header=False,
                                                              evidence=evidence).encode(),
                       _concatenate(lambda tags, evidence: csv_text([], tags, evidence=evidence)
                                    .encode(), _csv_without)))
_register(OutputFormat("parquet", (".parquet", ".pq"),
                       lambda preds, tags, evidence, docs: parquet_bytes(preds, tags, evidence),
                       _parquet_join))
_register(OutputFormat("sqlite", (".sqlite", ".db", ".sqlite3"),
                       lambda preds, tags, evidence, docs: sqlitestore.record_bytes(
                           preds, docs, tags, evidence, record_columns),
                       lambda *args, **kw: sqlitestore.join(*args, **kw, tag_columns=record_columns)))


def output_format(out: str | Path, fmt: str | None) -> str:
    """The output format, as given, or from the output file's extension."""
    if fmt:
        if fmt not in OUTPUT_FORMATS:
            raise InputError(out, f"unknown output format {fmt!r} (use {', '.join(OUTPUT_FORMATS)})")
        return fmt
    suffix = Path(out).suffix.lower()
    for f in OUTPUT_FORMATS.values():
        if suffix in f.suffixes:
            return f.name
    raise InputError(out, "cannot tell the output format from the extension: use "
                          f"{describe_outputs()}, or name the format")


def describe_outputs() -> str:
    """".jsonl, .csv or .parquet": the output file extensions, for messages and help."""
    main = [f.suffixes[0] for f in OUTPUT_FORMATS.values()]
    return ", ".join(main[:-1]) + " or " + main[-1]


def render_part(predictions, tags: Sequence[str], fmt: str, evidence: bool = True,
                docs: Sequence = ()) -> bytes:
    """One chunk's predictions (of ``docs``, in order), rendered in output format ``fmt``."""
    return OUTPUT_FORMATS[fmt].render(predictions, tags, evidence, docs)
