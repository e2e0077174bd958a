"""Flat records (one dict a row) as a terminal table, JSON, JSONL or CSV: how the output
formats (:mod:`tagger.io.formats`) render the rows of `tagger suggest` and `tagger audit`."""

from __future__ import annotations

import csv
import io
import json
from typing import Sequence

from ..io.formats import renders
from ..text.safe import terminal_safe
from ..text.tables import plain_table


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_cell(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@renders("table", "rows")
def table(rows: Sequence[dict], columns: Sequence[str], width: int = 70) -> str:
    """Aligned columns for a person, numbers to the right; long cells are cut (the other
    formats keep them whole), after a newline became a space and the cell terminal-safe."""
    cells = [[terminal_safe(_cell(r[c]).replace("\n", " "), one_line=True) for c in columns]
             for r in rows]
    cells = [[v if len(v) <= width else v[:width - 3] + "..." for v in row] for row in cells]
    numbers = [j for j, c in enumerate(columns) if any(_number(r[c]) for r in rows)
               and all(_number(r[c]) or r[c] is None for r in rows)]
    return plain_table(columns, cells, right=numbers) + "\n"


@renders("json", "rows")
def as_json(rows: Sequence[dict], columns: Sequence[str]) -> str:
    return json.dumps([{c: r[c] for c in columns} for r in rows], indent=2, ensure_ascii=False) + "\n"


@renders("jsonl", "rows")
def as_jsonl(rows: Sequence[dict], columns: Sequence[str]) -> str:
    return "".join(json.dumps({c: r[c] for c in columns}, ensure_ascii=False) + "\n" for r in rows)


@renders("csv", "rows")
def as_csv(rows: Sequence[dict], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([json.dumps(r[c], ensure_ascii=False) if isinstance(r[c], dict)
                         else r[c] for c in columns])
    return buf.getvalue()
