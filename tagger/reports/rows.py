"""Flat records (one dict a row) as a terminal table, JSON, JSONL or CSV: the output
formats of `tagger suggest` and `tagger audit`, registered once here."""

from __future__ import annotations

import csv
import io
import json
from typing import Callable, Sequence

from ..text.safe import terminal_safe
from ..text.tables import plain_table

ROW_FORMATS: dict[str, Callable[[Sequence[dict], Sequence[str]], str]] = {}


def row_format(name: str):
    def register(fn):
        ROW_FORMATS[name] = fn
        return fn
    return register


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_cell(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@row_format("table")
def table(rows: Sequence[dict], columns: Sequence[str], width: int = 70) -> str:
    """Aligned columns for a person, numbers to the right; long cells are cut (the other
    formats keep them whole), after a newline became a space and the cell terminal-safe."""
    cells = [[terminal_safe(_cell(r[c]).replace("\n", " "), one_line=True) for c in columns]
             for r in rows]
    cells = [[v if len(v) <= width else v[:width - 3] + "..." for v in row] for row in cells]
    numbers = [j for j, c in enumerate(columns) if any(_number(r[c]) for r in rows)
               and all(_number(r[c]) or r[c] is None for r in rows)]
    return plain_table(columns, cells, right=numbers) + "\n"


@row_format("json")
def as_json(rows: Sequence[dict], columns: Sequence[str]) -> str:
    return json.dumps([{c: r[c] for c in columns} for r in rows], indent=2, ensure_ascii=False) + "\n"


@row_format("jsonl")
def as_jsonl(rows: Sequence[dict], columns: Sequence[str]) -> str:
    return "".join(json.dumps({c: r[c] for c in columns}, ensure_ascii=False) + "\n" for r in rows)


@row_format("csv")
def as_csv(rows: Sequence[dict], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([json.dumps(r[c], ensure_ascii=False) if isinstance(r[c], dict)
                         else r[c] for c in columns])
    return buf.getvalue()
