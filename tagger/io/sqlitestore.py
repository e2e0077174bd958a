"""The SQLite archive `tagger tag --out archive.sqlite` writes: a table of documents with
their tags, scores and evidence, an FTS5 index over title and text (named as sqlite-utils
and Datasette name it, so their search works), a table of runs, and the archive's own
facts (the model it was tagged with). It opens as it is in sqlite3, sqlite-utils and
Datasette.

Each chunk is rendered as a small SQLite database of its rows (in whichever process tagged
it), and the rows are copied from it into a copy of the archive that replaces it whole (see
:mod:`.sqlitebuild`), so a killed run leaves the archive as it was and resumes from its
committed parts.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Sequence

from ..errors import InputError
from .layout import TEXT_COLUMN, Layout, column_difference
from .sqlitefile import ARCHIVE_ID, check_intact, read_header, reading, refuse_foreign, tables

FORMAT_VERSION = "1"
TABLES = frozenset({"archive", "documents", "runs", "documents_fts"})
# FTS5's defaults: merge index segments once 4 are at one level (and at once when 16 are);
# write the terms gathered in memory once they take 1 MiB
FTS_DEFAULTS = {"automerge": 4, "crisismerge": 16, "hashsize": 2**20}
SQL_TYPES = {"text": "TEXT", "note": "TEXT", "date": "TEXT", "bool": "INTEGER", "score": "REAL",
             "span": "INTEGER"}

def quoted(name: str) -> str:
    """An SQL identifier, quoted (tag names are user text)."""
    return '"' + name.replace('"', '""') + '"'


def table_columns(layout: Layout) -> list[str]:
    """The documents table's columns: the record layout's, and the article text (the
    text may be one of the fields kept, in which case it is where the layout puts it)."""
    columns = layout.columns()
    return columns if TEXT_COLUMN in layout.keep else [*columns, TEXT_COLUMN]


def _declared(layout: Layout, key: bool = True) -> str:
    """The documents table's columns with their types (``id`` its key, if ``key``)."""
    kinds = dict(zip(layout.columns(), layout.kinds()))
    return ", ".join(f"{quoted(c)} {'TEXT PRIMARY KEY' if key and c == 'id' else SQL_TYPES[kinds.get(c, 'text')]}"
                     for c in table_columns(layout))  # the text: not in the layout's kinds


def part_bytes(predictions: Sequence, docs: Sequence, layout: Layout) -> bytes:
    """The tagged documents' rows, in order (rowid 1, 2, ...), in the documents table of a
    database of their own (no key, no index, no text index: the archive indexes them), as
    the bytes of its file: the part that run's parent process copies into the archive
    without a Python object per row."""
    text = TEXT_COLUMN not in layout.keep
    db = sqlite3.connect(":memory:")
    try:
        names = table_columns(layout)
        db.execute(f"CREATE TABLE documents ({_declared(layout, key=False)})")
        db.executemany(f"INSERT INTO documents VALUES ({', '.join('?' * len(names))})",
                       ([*row, d.text] if text else row
                        for row, d in zip(layout.rows(predictions, docs), docs)))
        db.commit()
        return db.serialize()
    finally:
        db.close()


def create_schema(db: sqlite3.Connection, layout: Layout) -> None:
    """Create the archive's tables and index, those it does not have yet."""
    db.executescript(f"""
        CREATE TABLE IF NOT EXISTS documents ({_declared(layout)});
        -- content="documents" written as sqlite-utils writes it, so its detect_fts finds it
        CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(title, text,
            content="documents");
        CREATE TABLE IF NOT EXISTS runs (run INTEGER PRIMARY KEY, model TEXT, model_name TEXT,
            started TEXT, finished TEXT, inputs TEXT, documents INTEGER, drift TEXT);
        CREATE TABLE IF NOT EXISTS archive (key TEXT PRIMARY KEY, value TEXT);
        CREATE INDEX IF NOT EXISTS documents_date ON documents(date);
    """)


def fill(db: sqlite3.Connection, layout: Layout, meta: dict, batches) -> None:
    """Add rows (lists in :func:`table_columns` order, a batch at a time) to an archive
    (made if new), and record the layout's metadata ``meta`` as the archive's facts."""
    db.execute(f"PRAGMA application_id={ARCHIVE_ID}")  # tagger's, for check_archive
    create_schema(db, layout)
    insert_rows(db, table_columns(layout), batches)
    store_facts(db, meta)


def store_facts(db: sqlite3.Connection, meta: dict) -> None:
    """Record the layout's metadata ``meta`` (model, tags, fields kept) as the archive's facts."""
    facts = {"format_version": FORMAT_VERSION, "model": meta.get("model", ""),
             "model_name": meta.get("model_name", ""), "tags": json.dumps(meta["tags"]),
             "keep": json.dumps(meta.get("keep", []))}
    db.executemany("INSERT OR REPLACE INTO archive VALUES (?, ?)", facts.items())


def insert_rows(db, names: Sequence[str], batches) -> None:
    """Insert rows (lists in ``names`` order), a batch at a time, and index their title
    and text."""
    insert = (f"INSERT INTO documents ({', '.join(map(quoted, names))}) "
              f"VALUES ({', '.join('?' * len(names))})")
    for rows in batches:
        first = last_rowid(db)
        db.executemany(insert, rows)
        index_since(db, first)


def last_rowid(db: sqlite3.Connection) -> int:
    """The documents table's last rowid (0 when empty): rows added later come after it."""
    return db.execute("SELECT coalesce(max(rowid), 0) FROM documents").fetchone()[0]


def index_since(db: sqlite3.Connection, first: int) -> None:
    """Index the title and text of the documents added after rowid ``first``: the index is
    kept in step with the rows (an external-content table)."""
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


def sqlite_ids(path: Path, layout: Layout, max_ids: int) -> set[str]:
    """The document ids in a SQLite archive whose documents table has this layout's
    columns (and the text)."""
    try:
        db = sqlite3.connect(path)
        try:
            found = [r[1] for r in db.execute("PRAGMA table_info(documents)")]
            if not found:
                raise InputError(path, "has no documents table; not an archive written by "
                                       "tagger tag")
            expected = table_columns(layout)
            if set(found) != set(expected):
                raise InputError(path, column_difference(expected, found))
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


def datasette_metadata(path: str | Path, layout: Layout) -> dict:
    """Metadata for Datasette (``datasette ARCHIVE --metadata FILE``): the documents
    table faceted by source, by date and by each tag's decision, newest first, its rows
    labelled by their title."""
    name = Path(path).stem  # the database's name in Datasette
    return {"title": f"{name}: documents tagged by tagger",
            "databases": {name: {"tables": {"documents": {
                "facets": ["source", {"date": "date"}, *layout.tags],
                "sort_desc": "date", "label_column": "title"}}}}}


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
