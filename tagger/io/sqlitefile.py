"""Opening an SQLite file that may not be tagger's, without changing it.

Before tagger writes to an SQLite file (a label database, an archive it adds to) it looks
at it read-only: its 100-byte header first (an ``application_id`` another program set
refuses it before SQLite opens it at all), then its tables and ``PRAGMA quick_check``
through a ``mode=ro`` connection. A file in WAL mode with no ``-wal`` beside it is opened
``immutable``, since even a read-only connection would otherwise create ``-wal`` and
``-shm`` files next to someone else's database. Only a file found to be tagger's (or a
new, empty one) is then opened for writing.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..errors import InputError

MAGIC = b"SQLite format 3\x00"
# PRAGMA application_id of the files tagger writes (signed 32-bit; ASCII "TgLB", "TgAR")
LABELS_ID = 0x54674C42
ARCHIVE_ID = 0x54674152
KINDS = {LABELS_ID: "a tagger label database", ARCHIVE_ID: "a tagger archive"}


@dataclass(frozen=True)
class Header:
    """What an SQLite file's header says, read without SQLite."""

    application_id: int
    wal: bool


def read_header(path: Path, what: str) -> Header | None:
    """The header of ``path``; None when it does not exist or is empty (0 bytes): a file
    tagger may make its own. Refused (one line, naming the file) when it is something
    other than an SQLite file."""
    if not path.exists() and not path.is_symlink():
        return None
    if not path.is_file():
        raise InputError(path, "is not a file")
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not head:
        return None
    if len(head) < 100 or not head.startswith(MAGIC):
        raise InputError(path, f"is not {what} (not an SQLite file)")
    return Header(application_id=int.from_bytes(head[68:72], "big", signed=True),
                  wal=2 in (head[18], head[19]))  # the read and write versions: 2 is WAL


def refuse_foreign(path: Path, header: Header, application_id: int, what: str) -> None:
    """Refuse a file another program (or tagger, for another use) marked as its own."""
    if header.application_id in (0, application_id):
        return
    if header.application_id in KINDS:
        raise InputError(path, f"is {KINDS[header.application_id]}, not {what}")
    raise InputError(path, f"is another application's SQLite database (application id "
                           f"{header.application_id:#x}), not {what}; tagger leaves it as it is")


@contextmanager
def reading(path: Path, header: Header, application_id: int):
    """A read-only connection to ``path`` that creates no file beside a file not marked as
    tagger's (``application_id``): one in WAL mode with no ``-wal`` is opened immutable.
    A ``-wal`` already there is read, so its pages are checked too; a file marked as
    tagger's is read as any reader does, safe alongside a writer."""
    unmarked = header.application_id != application_id
    wal_absent = not Path(str(path) + "-wal").exists()
    params = "mode=ro" + ("&immutable=1" if unmarked and header.wal and wal_absent else "")
    con = sqlite3.connect(f"file:{quote(str(path.resolve()))}?{params}", uri=True)
    try:
        yield con
    finally:
        con.close()


def check_intact(con: sqlite3.Connection, path: Path) -> None:
    """``PRAGMA quick_check``: refuse a damaged file (a torn copy, a ``-wal`` beside it that
    belongs to another copy) in one line, before anything reads wrong rows from it."""
    try:
        rows = con.execute("PRAGMA quick_check(1)").fetchall()
    except sqlite3.DatabaseError as exc:
        why = str(exc)
    else:
        if rows == [("ok",)]:
            return
        why = str(rows[0][0]).replace("*** in database main ***", "") if rows else "no answer"
    why = " ".join(why.split())[:200]  # one line, bounded
    raise InputError(path, f"is damaged ({why}); restore it from a "
                           "backup, or remove a -wal file beside it that came from another "
                           "copy")


def tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
