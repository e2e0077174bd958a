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


@printer("csv")
def csv_text(predictions: Sequence, tags: Sequence[str], *, header: bool = True) -> str:
    """CSV rows: id, tags joined by ';', then one score column per tag."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if header:
        writer.writerow(["id", "tags", *tags])
    for p in predictions:
        writer.writerow([p.id, ";".join(p.tags), *(f"{p.scores[t]:.6f}" for t in tags)])
    return buf.getvalue()


def format_predictions(predictions: Sequence, tags: Sequence[str], fmt: str) -> str:
    """Render predictions in one of the PRINTERS; every format ends with a newline."""
    if fmt not in PRINTERS:
        raise ValueError(f"unknown format {fmt!r} (use {', '.join(PRINTERS)})")
    return PRINTERS[fmt](list(predictions), tags)


@printer("table")
def table_text(predictions: Sequence, tags: Sequence[str]) -> str:
    """Aligned columns: id, tags, then a score per tag (the top three when there are many)."""
    rows = [p.to_dict() for p in predictions]
    wide = len(tags) <= 6
    header = ["id", "tags"] + (list(tags) if wide else ["top scores"])
    body = []
    for r in rows:
        if wide:
            scores = [f"{r['scores'][t]:.3f}" for t in tags]
        else:
            top = sorted(r["scores"].items(), key=lambda kv: -kv[1])[:3]
            scores = [", ".join(f"{t}={s:.3f}" for t, s in top)]
        body.append([r["id"], ", ".join(r["tags"]) or "-", *scores])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip()
             for row in [header, *body]]
    return "\n".join(lines) + "\n"


# ---- files written by batch tagging: rendered a chunk at a time, joined at the end ----

@dataclass(frozen=True)
class OutputFormat:
    """A file format `tag` writes: each chunk is rendered on its own (in whichever process
    tagged it), and the rendered parts are joined into the output, leaving out given rows."""

    name: str
    suffixes: tuple[str, ...]
    render: Callable[[Sequence, Sequence[str]], bytes]
    join: Callable[[Sequence[Path], BinaryIO, Sequence[str], dict], None]


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


def _concatenate(header: Callable[[Sequence[str]], bytes], without):
    """Join parts by concatenation, after a header; ``without`` drops rows from a part."""
    def join(parts: Sequence[Path], fh: BinaryIO, tags: Sequence[str], drop: dict) -> None:
        fh.write(header(tags))
        for i, part in enumerate(parts):
            if i in drop:
                fh.write(without(part.read_bytes(), drop[i]))
                continue
            with open(part, "rb") as src:
                shutil.copyfileobj(src, fh)
    return join


def _parquet_schema(tags: Sequence[str]):
    import pyarrow as pa

    return pa.schema([("id", pa.string()), ("tags", pa.list_(pa.string())),
                      *((t, pa.float64()) for t in tags)])


def parquet_bytes(predictions: Sequence, tags: Sequence[str]) -> bytes:
    """A Parquet file of id, tags (a list) and a score column per tag."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": pa.array([p.id for p in predictions], pa.string()),
                      "tags": pa.array([p.tags for p in predictions], pa.list_(pa.string())),
                      **{t: pa.array([p.scores[t] for p in predictions], pa.float64())
                         for t in tags}}, schema=_parquet_schema(tags))
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _parquet_join(parts: Sequence[Path], fh: BinaryIO, tags: Sequence[str], drop: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with pq.ParquetWriter(fh, _parquet_schema(tags)) as writer:
        for i, part in enumerate(parts):
            table = pq.read_table(part)
            if i in drop:
                table = table.filter(pa.array([r not in drop[i] for r in range(len(table))]))
            writer.write_table(table)


_register(OutputFormat("jsonl", (".jsonl", ".ndjson"), jsonl_bytes,
                       _concatenate(lambda tags: b"", _lines_without)))
_register(OutputFormat("csv", (".csv",),
                       lambda preds, tags: csv_text(preds, tags, header=False).encode(),
                       _concatenate(lambda tags: csv_text([], tags).encode(), _csv_without)))
_register(OutputFormat("parquet", (".parquet", ".pq"), parquet_bytes, _parquet_join))


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


def render_part(predictions, tags: Sequence[str], fmt: str) -> bytes:
    """One chunk's predictions, rendered in output format ``fmt``."""
    return OUTPUT_FORMATS[fmt].render(predictions, tags)
