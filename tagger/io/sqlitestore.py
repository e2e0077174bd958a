"""The SQLite archive `tagger tag --out archive.sqlite` writes: a table of documents with
their tags, scores and evidence, an FTS5 index over title and text (named as sqlite-utils
and Datasette name it, so their search works), a table of runs, and the archive's own
facts (the model it was tagged with). It opens as it is in sqlite3, sqlite-utils and
Datasette.

Each chunk is rendered as JSON lines (in whichever process tagged it) and the lines are
inserted when the parts are joined, into a copy of the archive that replaces it whole, so
a killed run leaves the archive as it was and resumes from its committed parts.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Sequence

from ..errors import InputError
from .sqlitefile import ARCHIVE_ID, check_intact, read_header, reading, refuse_foreign, tables

FORMAT_VERSION = "1"
BASE_COLUMNS = ("id", "date", "title", "source", "url", "model")
TABLES = frozenset({"archive", "documents", "runs", "documents_fts"})


# A tag's columns come from tagger.io.writers.record_columns, the one record layout, passed in
# as ``layout`` (this module is imported by writers, so it cannot import it back).
Layout = Callable[[str], tuple]


def _q(name: str) -> str:
    """An SQL identifier, quoted (tag names are user text)."""
    return '"' + name.replace('"', '""') + '"'


def record_bytes(predictions: Sequence, docs: Sequence, tags: Sequence[str],
                 evidence: bool, tag_columns: Layout) -> bytes:
    """One JSON line per tagged document: the documents table's columns, bar the model."""
    lines = []
    for p, d in zip(predictions, docs):
        row = {"id": p.id, "date": p.date or None, "title": d.title, "source": d.outlet,
               "url": getattr(d, "url", ""), "text": d.text}
        for t in tags:
            e = (p.evidence or {}).get(t) if evidence else None
            row.update(zip(tag_columns(t), (int(t in p.tags), p.scores[t],
                                            *((e["text"], e["start"], e["end"]) if e
                                              else (None, None, None)))))
        lines.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    return "".join(lines).encode("utf-8")


def _schema(db: sqlite3.Connection, tags: Sequence[str], tag_columns: Layout) -> None:
    kinds = ("INTEGER", "REAL", "TEXT", "INTEGER", "INTEGER")
    cols = ", ".join(f"{_q(c)} {k}" for t in tags for c, k in zip(tag_columns(t), kinds))
    db.executescript(f"""
        CREATE TABLE IF NOT EXISTS documents (id TEXT PRIMARY KEY, date TEXT, title TEXT,
            source TEXT, url TEXT, model TEXT, text TEXT{', ' + cols if cols else ''});
        -- content="documents" written as sqlite-utils writes it, so its detect_fts finds it
        CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(title, text,
            content="documents");
        CREATE TABLE IF NOT EXISTS runs (run INTEGER PRIMARY KEY, model TEXT, model_name TEXT,
            started TEXT, finished TEXT, inputs TEXT, documents INTEGER, drift TEXT);
        CREATE TABLE IF NOT EXISTS archive (key TEXT PRIMARY KEY, value TEXT);
        CREATE INDEX IF NOT EXISTS documents_date ON documents(date);
    """)


def join(parts: Sequence[Path], fh: BinaryIO, tags: Sequence[str], drop: dict,
         evidence: bool, base: Path | None = None, meta: dict | None = None, *,
         tag_columns: Layout) -> None:
    """Insert every part's records (bar the rows in ``drop``) into a copy of ``base`` (or a
    new archive), and write the result to ``fh``."""
    meta = meta or {}
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "archive.sqlite"
        if base is not None:
            shutil.copyfile(base, path)
        db = sqlite3.connect(path)
        try:
            db.execute("PRAGMA journal_mode=DELETE")  # one file while it is built
            db.execute(f"PRAGMA application_id={ARCHIVE_ID}")  # tagger's, for check_archive
            _schema(db, tags, tag_columns)
            _insert_parts(db, parts, tags, drop, meta.get("model", ""), tag_columns)
            facts = {"format_version": FORMAT_VERSION, "model": meta.get("model", ""),
                     "model_name": meta.get("model_name", ""),
                     "tags": json.dumps([{"id": t, "threshold": th} for t, th in
                                         zip(tags, meta.get("thresholds", [None] * len(tags)))])}
            db.executemany("INSERT OR REPLACE INTO archive VALUES (?, ?)", facts.items())
            db.commit()
            # WAL is recorded in the file's header: readers and later runs open it in WAL
            db.execute("PRAGMA journal_mode=WAL")
        finally:
            db.close()
        with open(path, "rb") as src:
            shutil.copyfileobj(src, fh)


def _insert_parts(db, parts: Sequence[Path], tags: Sequence[str], drop: dict, model: str,
                  tag_columns: Layout) -> None:
    names = [*BASE_COLUMNS, "text", *(c for t in tags for c in tag_columns(t))]
    insert = (f"INSERT INTO documents ({', '.join(map(_q, names))}) "
              f"VALUES ({', '.join('?' * len(names))})")
    for i, part in enumerate(parts):
        gone = drop.get(i, ())
        rows = []
        with open(part, "rb") as src:
            for r, line in enumerate(src):
                if r in gone or not line.strip():
                    continue
                obj = json.loads(line)
                obj["model"] = model
                rows.append([obj.get(n) for n in names])
        first = db.execute("SELECT coalesce(max(rowid), 0) FROM documents").fetchone()[0]
        db.executemany(insert, rows)
        # the index is kept in step with the rows just added (an external-content table)
        db.execute("INSERT INTO documents_fts(rowid, title, text) "
                   "SELECT rowid, title, text FROM documents WHERE rowid > ?", (first,))


def add_run(path: str | Path, run: dict) -> None:
    """Record a run (model, model_name, started, finished, inputs, documents, drift)."""
    db = sqlite3.connect(path)
    try:
        with db:
            db.execute("INSERT INTO runs (model, model_name, started, finished, inputs, "
                       "documents, drift) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [run.get("model"), run.get("model_name"), run.get("started"),
                        run.get("finished"), json.dumps(run.get("inputs", [])),
                        run.get("documents"), json.dumps(run.get("drift"))])
    finally:
        db.close()


def check_archive(path: str | Path) -> None:
    """Refuse, leaving it as it is, an existing file that is not an intact archive written
    by tagger tag (another program's database, a damaged copy); a missing or empty one
    passes (a new archive)."""
    path = Path(path)
    what = "an archive written by tagger tag"
    header = read_header(path, what)
    if header is None:
        return
    refuse_foreign(path, header, ARCHIVE_ID, what)
    try:
        with reading(path, header, ARCHIVE_ID) as con:
            check_intact(con, path)
            if not TABLES <= tables(con):
                raise InputError(path, f"is an SQLite database, but not {what}; tagger "
                                       "leaves it as it is")
    except sqlite3.DatabaseError as exc:
        raise InputError(path, f"cannot be read as {what} ({exc})") from None


def archive_facts(path: str | Path) -> dict:
    """The archive table's keys and values."""
    try:
        db = sqlite3.connect(path)
        try:
            return dict(db.execute("SELECT key, value FROM archive").fetchall())
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(path, f"is not an archive written by tagger tag ({exc})") from None


def sqlite_ids(path: Path, tags: list[str], max_ids: int, tag_columns: Layout) -> set[str]:
    """The document ids in a SQLite archive with these tags' columns."""
    try:
        db = sqlite3.connect(path)
        try:
            cols = {r[1] for r in db.execute("PRAGMA table_info(documents)")}
            want = {c for t in tags for c in tag_columns(t)} | set(BASE_COLUMNS)
            if not cols or not want <= cols:
                raise InputError(path, "has other columns than this model writes (another "
                                       "model's tags, or not written by tagger tag)")
            n = db.execute("SELECT count(*) FROM documents").fetchone()[0]
            if n > max_ids:
                raise InputError(path, f"holds more than {max_ids:,} documents, the cap for "
                                       "one archive; start a new one")
            return {r[0] for r in db.execute("SELECT id FROM documents")}
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(path, f"is not a SQLite archive ({exc})") from None


def model_mismatch(path: str | Path, fingerprint: str) -> str | None:
    """Why ``path``'s documents were tagged with another model than ``fingerprint``, or None."""
    old = archive_facts(path).get("model", "")
    if old and old != fingerprint:
        return (f"was tagged with model {old}, not with this model {fingerprint}; one archive "
                "holds "
                "one model's tags: tag its documents again with the new model, or start a "
                "new archive")
    return None


def remove_wal_files(path: str | Path) -> None:
    """Leftover -wal/-shm files of an archive just replaced belong to the old file."""
    for suffix in ("-wal", "-shm"):
        try:
            os.unlink(str(path) + suffix)
        except FileNotFoundError:
            pass
