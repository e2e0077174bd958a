"""The files a batch run writes beside its output: ``OUT.meta.json``, the record layout's
metadata (model name and fingerprint, each tag's threshold, the fields kept) for formats
with no place for it of their own (JSONL, CSV), and ``OUT.datasette.json``, metadata for
Datasette beside a SQLite archive (facets on source, date and each tag)."""

from __future__ import annotations

import json
from pathlib import Path

from ..io.files import write_text_atomic
from ..io.layout import Layout, meta_file
from ..io.sqlitestore import datasette_metadata
from ..io.writers import file_format


def datasette_file(out: str | Path) -> Path:
    """Where Datasette's metadata for a SQLite archive goes."""
    return Path(str(out) + ".datasette.json")


def sidecars(out: str | Path, fmt: str) -> list[Path]:
    """The files a run writing ``out`` in ``fmt`` writes beside it."""
    if file_format(fmt).sidecar:
        return [meta_file(out)]
    return [datasette_file(out)] if fmt == "sqlite" else []


def write_sidecars(out: str | Path, fmt: str, layout: Layout, meta: dict) -> None:
    """Write the files of :func:`sidecars`, each atomically."""
    for path in sidecars(out, fmt):
        data = meta if path == meta_file(out) else datasette_metadata(out, layout)
        write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
