"""Parquet files in the record layout (tagger.io.layout), typed: ``date`` a date, each
decision a boolean, scores doubles, spans nullable integers; the layout's metadata (model,
thresholds, fields kept) in the file's key-value metadata under ``tagger``."""

from __future__ import annotations

import io
import json
from datetime import date as _date
from pathlib import Path
from typing import BinaryIO, Sequence

from .layout import Layout

META_KEY = b"tagger"


def arrow_types() -> dict:
    """The Arrow type of each kind of column (tagger.io.layout)."""
    import pyarrow as pa

    return {"text": pa.string(), "note": pa.string(), "date": pa.date32(), "bool": pa.bool_(),
            "score": pa.float64(), "span": pa.int64()}


def _pandas_metadata(layout: Layout) -> bytes:
    """pandas' own metadata, for the span columns only: read back by pandas, a span
    column is Int64 (nullable integers), not float64 with NaN for the missing ones."""
    spans = [c for c, k in zip(layout.columns(), layout.kinds()) if k == "span"]
    return json.dumps({"index_columns": [], "column_indexes": [], "columns": [
        {"name": c, "field_name": c, "pandas_type": "int64", "numpy_type": "Int64",
         "metadata": None} for c in spans]}).encode()


def parquet_schema(layout: Layout, meta: dict | None = None):
    """The schema of a Parquet file in this layout, with ``meta`` (Layout.metadata()) in
    its key-value metadata."""
    import pyarrow as pa

    types = arrow_types()
    schema = pa.schema([(c, types[k]) for c, k in zip(layout.columns(), layout.kinds())])
    return schema.with_metadata({b"pandas": _pandas_metadata(layout),
                                 META_KEY: json.dumps(meta or layout.metadata()).encode()})


def _table(predictions: Sequence, docs: Sequence, layout: Layout):
    import pyarrow as pa

    schema = parquet_schema(layout)
    rows = list(layout.rows(predictions, docs))
    columns = list(zip(*rows)) if rows else [()] * len(schema)
    date_at = layout.columns().index("date")
    columns[date_at] = [_date.fromisoformat(d) if d else None for d in columns[date_at]]
    arrays = [pa.array(list(col), type=field.type) for col, field in zip(columns, schema)]
    return pa.Table.from_arrays(arrays, schema=schema)


def parquet_bytes(predictions: Sequence, docs: Sequence, layout: Layout) -> bytes:
    """One chunk as a Parquet file."""
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(_table(predictions, docs, layout), buf)
    return buf.getvalue()


def parquet_join(parts: Sequence[Path], fh: BinaryIO, layout: Layout, drop: dict,
                 base: Path | None = None, meta: dict | None = None) -> None:
    """The parts (bar the rows in ``drop``) after ``base``'s rows, in one file whose
    metadata is ``meta``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(layout, meta)
    with pq.ParquetWriter(fh, schema) as writer:
        if base is not None:
            for batch in pq.ParquetFile(base).iter_batches(batch_size=65536):
                writer.write_batch(batch)
        for i, part in enumerate(parts):
            table = pq.read_table(part)
            if i in drop:
                table = table.filter(pa.array([r not in drop[i] for r in range(len(table))]))
            writer.write_table(table.replace_schema_metadata(schema.metadata))


def parquet_metadata(path: str | Path) -> dict:
    """The ``tagger`` key-value metadata of a Parquet file ({} when it has none)."""
    import pyarrow.parquet as pq

    raw = (pq.read_schema(path).metadata or {}).get(META_KEY)
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}
