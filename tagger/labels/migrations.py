"""The label database's schema, as migrations: declared once, in order, each applied once.

A database records the migrations it has had (table ``migrations``); opening one applies
those it lacks, in order, in one transaction with the check that it is a label database,
so a database written by an older tagger is brought up to date in place, nothing lost.
Never edit or reorder a migration that has shipped: add a new one.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from ..errors import InputError
from ..io.sqlitefile import LABELS_ID

FORMAT = "tagger-labels"
ANSWERS = ("saved", "skipped", "undone", "adjudicated")

MIGRATIONS: list = []


def migration(fn):
    """Register ``fn(con)`` as the next migration (its name is its record)."""
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_decisions_log(con: sqlite3.Connection) -> None:
    """Version 1: the log, its append-only triggers, the views of what is in force, claims.
    (IF NOT EXISTS throughout: a version 1 database already has all of it.)"""
    for sql in (
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        f"""CREATE TABLE IF NOT EXISTS decisions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            doc_id TEXT NOT NULL,
            annotator TEXT NOT NULL,
            answer TEXT NOT NULL CHECK (answer IN {ANSWERS!r}),
            tags TEXT NOT NULL DEFAULT '[]',         -- JSON list of tags
            evidence TEXT NOT NULL DEFAULT '[]',     -- JSON [{{"tag", "start", "end", "text"}}]
            no_evidence TEXT NOT NULL DEFAULT '[]',  -- tags the annotator applied with no evidence
            model TEXT NOT NULL DEFAULT '',          -- fingerprint of the model whose scores were shown
            scores TEXT NOT NULL DEFAULT '{{}}',       -- JSON {{tag: probability}} as shown
            undoes INTEGER REFERENCES decisions(seq),
            origin TEXT NOT NULL DEFAULT '',         -- 'label', 'review', 'import FILE'
            created TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS decisions_doc ON decisions (doc_id, annotator)",
        "CREATE INDEX IF NOT EXISTS decisions_undoes ON decisions (undoes)",
        """CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
           BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
           BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END""",
        """CREATE VIEW IF NOT EXISTS effective AS
           SELECT * FROM decisions d WHERE answer != 'undone'
           AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.seq
                           AND u.answer = 'undone')""",
        """CREATE VIEW IF NOT EXISTS current_labels AS
           SELECT * FROM effective e WHERE answer IN ('saved', 'skipped')
           AND seq = (SELECT max(seq) FROM effective f WHERE f.doc_id = e.doc_id
                      AND f.annotator = e.annotator AND f.answer IN ('saved', 'skipped'))""",
        """CREATE VIEW IF NOT EXISTS adjudications AS
           SELECT * FROM effective e WHERE answer = 'adjudicated'
           AND seq = (SELECT max(seq) FROM effective f WHERE f.doc_id = e.doc_id
                      AND f.answer = 'adjudicated')""",
        # which tab is showing which article: working state, not a record, so it may change
        """CREATE TABLE IF NOT EXISTS claims (
            doc_id TEXT NOT NULL, annotator TEXT NOT NULL, tab TEXT NOT NULL,
            claimed REAL NOT NULL, PRIMARY KEY (annotator, tab))"""):
        con.execute(sql)


@migration
def m002_accepted_proposals(con: sqlite3.Connection) -> None:
    """Per decision, which of its tags were the model's proposal accepted unchanged
    (``accepted``), and what the model proposed (``proposal``). NULL in the rows written
    before: not recorded then, so never read as 'the annotator's own'."""
    con.execute("ALTER TABLE decisions ADD COLUMN accepted TEXT")  # JSON list, or NULL
    con.execute("ALTER TABLE decisions ADD COLUMN proposal TEXT")  # JSON list, or NULL


@migration
def m003_history_index(con: sqlite3.Connection) -> None:
    """An annotator's decisions newest first (the page's history), without a scan."""
    con.execute("CREATE INDEX IF NOT EXISTS decisions_annotator ON decisions (annotator, seq)")


VERSION = len(MIGRATIONS)


def kind(con: sqlite3.Connection, path: Path) -> tuple[set, dict]:
    """The database's tables and meta, refused unless it is a label database (or empty)."""
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    found = dict(con.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
    if tables - {"sqlite_sequence"} and found.get("format") != FORMAT:
        raise InputError(path, "is an SQLite database, but not a tagger label database")
    return tables, found


def migrate(con: sqlite3.Connection, path: Path) -> list[str]:
    """Inside a write transaction: check that the database is a label database (or empty),
    then apply the migrations it lacks, in order. Returns the names applied."""
    tables, found = kind(con, path)
    if found.get("version", "0").isdigit() and int(found.get("version", "0")) > VERSION:
        raise InputError(path, f"is a label database of version {found['version']}, written "
                               f"by a newer tagger; this tagger reads up to version {VERSION}")
    con.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, "
                "applied TEXT NOT NULL)")
    if "migrations" not in tables and found.get("version") == "1":
        # version 1 kept no record of migrations: it had the first one, by definition
        con.execute("INSERT INTO migrations VALUES (?, 'version 1')", (MIGRATIONS[0].__name__,))
    done = {r[0] for r in con.execute("SELECT name FROM migrations")}
    known = [m.__name__ for m in MIGRATIONS]
    if done - set(known):
        raise InputError(path, f"has migrations this tagger does not know "
                               f"({', '.join(sorted(done - set(known)))}): it was written by "
                               "a newer tagger")
    if con.execute("PRAGMA application_id").fetchone()[0] != LABELS_ID:
        con.execute(f"PRAGMA application_id={LABELS_ID}")  # marks the file tagger's (ours)
    applied = []
    for m in MIGRATIONS:
        if m.__name__ not in done:
            m(con)
            con.execute("INSERT INTO migrations VALUES (?, ?)", (m.__name__, now()))
            applied.append(m.__name__)
    if applied or found.get("version") != str(VERSION):  # else write nothing: opening
        con.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))  # leaves
        con.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)",           # the file
                    (str(VERSION),))                                                 # as it was
    return applied


def now() -> str:
    """UTC, to the millisecond: 2025-01-31T12:00:00.123Z."""
    now = time.time_ns()
    return (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now // 10**9))
            + f".{now // 10**6 % 1000:03d}Z")
