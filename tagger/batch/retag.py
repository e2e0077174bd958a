"""Tagging an archive's documents again with another model (`tagger tag --retag`): one
archive holds one model's tags, so a new model replaces them all, atomically."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Callable

from ..errors import InputError
from ..io.files import OutputLock, atomic_open


def archive_documents(path: Path, dest: Path) -> int:
    """Write a SQLite archive's documents to ``dest`` as JSON lines, in the order they were
    added (id, date, title, source, url, text and the fields kept): the input a fresh run
    would have read."""
    try:
        db = sqlite3.connect(path)
        try:
            facts = dict(db.execute("SELECT key, value FROM archive").fetchall())
            names = list(dict.fromkeys(["id", "date", "title", "source", "url", "text",
                                        *json.loads(facts.get("keep") or "[]")]))
            rows = db.execute(f"SELECT {', '.join(map(_quoted, names))} FROM documents "
                              "ORDER BY rowid")
            n = 0
            with open(dest, "w", encoding="utf-8") as fh:
                for row in rows:
                    obj = dict(zip(names, row))
                    fh.write(json.dumps({k: v for k, v in obj.items() if v is not None},
                                        ensure_ascii=False) + "\n")
                    n += 1
            return n
        finally:
            db.close()
    except (sqlite3.DatabaseError, ValueError) as exc:
        raise InputError(path, f"is not a SQLite archive ({exc})") from None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def retag_archive(out: Path, tag: Callable[[Path, Path], object]) -> None:
    """Replace a SQLite archive by its documents tagged afresh by ``tag(documents, archive)``
    (a fresh run of the new model from a JSONL file into a new SQLite archive); the old
    runs are kept before the new one. The archive is either as it was or wholly retagged."""
    with tempfile.TemporaryDirectory() as d:
        docs, fresh = Path(d) / "documents.jsonl", Path(d) / "archive.sqlite"
        with OutputLock(out):
            archive_documents(out, docs)
        tag(docs, fresh)
        db = sqlite3.connect(fresh)
        try:
            with db:  # the old runs first: the history of the archive
                db.execute("ATTACH DATABASE ? AS old", (str(out),))
                cols = "model, model_name, started, finished, inputs, documents, drift"
                db.execute(f"CREATE TEMP TABLE new_runs AS SELECT {cols} FROM main.runs")
                db.execute("DELETE FROM main.runs")
                for source in ("old.runs", "temp.new_runs"):
                    db.execute(f"INSERT INTO main.runs ({cols}) SELECT {cols} FROM {source} "
                               "ORDER BY rowid")
            db.execute("DETACH DATABASE old")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
        with OutputLock(out), atomic_open(out, "wb") as fh, open(fresh, "rb") as src:
            fh.write(src.read())
