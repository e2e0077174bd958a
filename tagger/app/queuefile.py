"""Which model a decision saw, and a queue given as a file of document ids."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import InputError
from .queues import QUEUES


def model_fingerprint(directory: str | Path) -> str:
    """A short hash of a model directory's files: which model's scores a decision saw."""
    h = hashlib.sha256()
    for name in ("model.json", "arrays.npz"):
        h.update((Path(directory) / name).read_bytes())
    return h.hexdigest()[:16]


def read_queue_file(path: str | Path, known: set[str]) -> list[str]:
    """Document ids to label, in order, each among ``known``: one a line ('#' starts a
    comment), or a CSV with an ``id`` column, or JSONL objects with an ``id`` (as
    `tagger suggest` writes them)."""
    import csv
    import json

    from ..io.decoding import read_text_file

    path = Path(path)
    if not path.is_file():
        named = ", ".join(f"'{q}'" for q in QUEUES)
        raise InputError(path, f"does not exist (a queue is {named} or a file of document ids)")
    lines = read_text_file(path, 64 * 2**20).splitlines()
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("{"):
        rows = []
        for n, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    rows.append((n, str(json.loads(line)["id"])))
                except (ValueError, KeyError, TypeError):
                    raise InputError(path, "expected a JSON object with an 'id'", line=n) from None
    elif "id" in next(csv.reader([first])):
        reader = csv.DictReader(lines)
        rows = [(reader.line_num, r["id"].strip()) for r in reader]
    else:
        rows = [(n, raw.split("#", 1)[0].strip()) for n, raw in enumerate(lines, start=1)]
    out, seen = [], set()
    for line, doc_id in rows:
        if not doc_id:
            continue
        if doc_id not in known:
            raise InputError(path, f"id {doc_id!r} is not among the documents given", line=line)
        if doc_id not in seen:
            seen.add(doc_id)
            out.append(doc_id)
    return out
