"""Writing results: prediction formats (table, JSON, JSONL, CSV)."""

from __future__ import annotations

import csv
import io
import json
from typing import Sequence


FORMATS = ("table", "json", "jsonl", "csv")


def jsonl_bytes(predictions: Sequence) -> bytes:
    """One compact JSON object per line, UTF-8."""
    try:
        from orjson import dumps
    except ImportError:  # pragma: no cover
        return "".join(json.dumps(p.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"
                       for p in predictions).encode()
    return b"".join(dumps(p.to_dict()) + b"\n" for p in predictions)


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
    """Render predictions in one of FORMATS; every format ends with a newline."""
    rows = [p.to_dict() for p in predictions]
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if fmt == "jsonl":
        return jsonl_bytes(predictions).decode()
    if fmt == "csv":
        return csv_text(predictions, tags)
    if fmt == "table":
        return _table(rows, tags)
    raise ValueError(f"unknown format {fmt!r}")


def _table(rows: list[dict], tags: Sequence[str]) -> str:
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
