"""Building a SQLite archive from a run's rendered parts, one part at a time, so a batch run
can fill it while its workers still tag (see :mod:`tagger.batch.feed`) instead of
indexing every text once tagging is over.

The archive is built in a temporary file beside its destination and renamed into place only
when complete, so durability while it is built buys nothing: it is written without a
journal or flushes (a killed run's file is thrown away; the next run builds it again from
the committed parts), and flushed once before the rename. Each part is a small database
of its rows (:func:`.sqlitestore.part_bytes`), attached and copied in one statement. The
full-text index is not merged while rows are added (merging as it grows made the indexing
of 20,000 articles take about 40% longer), and its terms are gathered in memory longer
(see BUILDING).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import BinaryIO, Sequence

from ..errors import OutputError
from .files import check_output, new_mode, sweep
from .layout import Layout
from .sqlitefile import ARCHIVE_ID
from .sqlitestore import (FTS_DEFAULTS, create_schema, index_since, last_rowid, quoted,
                          store_facts, table_columns)

# FTS5's settings while the archive is built: no merging as the index grows, not even the
# merge of 16 segments at one level FTS5 forces (each part's rows make a segment: with 16,
# indexing 20,000 articles in 21 parts took about 15% longer; 64 still bounds a large
# build's segments), and terms gathered in memory up to 8 MiB before they are written
# (with FTS5's 1 MiB, indexing 20,000 articles took about 15% longer)
BUILDING = {"automerge": 0, "crisismerge": 64, "hashsize": 8 * 2**20}


def _configure_fts(db: sqlite3.Connection, settings: dict) -> None:
    for key, value in settings.items():
        db.execute("INSERT INTO documents_fts(documents_fts, rank) VALUES(?, ?)", (key, value))


class ArchiveBuild:
    """A SQLite archive being built at ``path`` (a temporary name), starting from a copy of
    the archive ``base`` if given, its rows added a batch at a time. One thread at a time
    uses it (a run's feeding thread, then the run itself, once that thread has stopped)."""

    def __init__(self, path: Path, layout: Layout, base: Path | None = None):
        self.path, self.layout = Path(path), layout
        self.discard()  # what a killed run left under this name
        if base is not None:
            shutil.copyfile(base, self.path)
        self.db = sqlite3.connect(self.path, check_same_thread=False)
        try:
            self.db.execute("PRAGMA journal_mode=OFF")
            self.db.execute("PRAGMA synchronous=OFF")
            self.db.execute(f"PRAGMA application_id={ARCHIVE_ID}")  # tagger's, for check_archive
            create_schema(self.db, layout)
            _configure_fts(self.db, BUILDING)
        except BaseException:
            self.discard()
            raise
        names = ", ".join(map(quoted, table_columns(layout)))
        # a part's rows in order, bar those whose row number (rowid - 1) is in a JSON list
        self.copy = (f"INSERT INTO documents ({names}) SELECT {names} FROM part.documents "
                     "WHERE rowid - 1 NOT IN (SELECT value FROM json_each(?)) ORDER BY rowid")

    def add_part(self, part: Path, gone=()) -> None:
        """Add a rendered part's rows (a database, see :func:`.sqlitestore.part_bytes`),
        bar the rows numbered in ``gone``, and index their title and text."""
        # on an error the build is thrown away (there is no journal to roll back with)
        self.db.execute("ATTACH DATABASE ? AS part", (str(part),))
        first = last_rowid(self.db)
        self.db.execute(self.copy, (json.dumps(sorted(gone)),))
        index_since(self.db, first)
        self.db.commit()
        self.db.execute("DETACH DATABASE part")

    def finish(self, meta: dict) -> None:
        """Record the archive's facts (the layout's metadata ``meta``), put the archive in
        WAL mode (readers and later runs open it so) and flush it to disk."""
        store_facts(self.db, meta)
        # left unmerged: FTS5 still merges a level once it holds 16 segments ('crisismerge'),
        # and a search of 20,000 articles was no slower than one of a merged index, while
        # merging costs about a tenth of the indexing; later writers (sqlite-utils, a later
        # run's copy) index as SQLite does by default
        _configure_fts(self.db, FTS_DEFAULTS)
        self.db.commit()
        self.db.execute("PRAGMA journal_mode=WAL")  # recorded in the file's header
        self.db.close()
        self.db = None
        self.write_back()

    def write_back(self) -> None:
        """Flush what is written so far to disk: done after each part while the run still
        tags, the disk works as the processors do, and the flush before the rename, once
        tagging is over, has little left (20,000 articles: 0.12 s of 0.13 s)."""
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def install(self, out: Path) -> None:
        """Put the finished archive in place of ``out`` (on the same file system), with the
        permissions a new file there would get (or those of the file it replaces)."""
        out = check_output(out)
        try:
            sweep(out)  # what killed writers of ``out`` left beside it
            os.chmod(self.path, new_mode(out))
            os.replace(self.path, out)
        except OSError as exc:
            raise OutputError(out, f"cannot be written ({exc.strerror or exc}); nothing was "
                                   "changed") from None

    def discard(self) -> None:
        """Close and remove the unfinished archive."""
        if getattr(self, "db", None) is not None:
            self.db.close()
            self.db = None
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)


def join(parts: Sequence[Path], fh: BinaryIO, layout: Layout, drop: dict,
         base: Path | None = None, meta: dict | None = None) -> None:
    """Insert every part's records (bar the rows in ``drop``) into a copy of ``base`` (or a
    new archive), and write the result to ``fh`` (what a run does without feeding)."""
    with tempfile.TemporaryDirectory() as d:
        build = ArchiveBuild(Path(d) / "archive.sqlite", layout, base)
        try:
            for i, part in enumerate(parts):
                build.add_part(part, drop.get(i, ()))
            build.finish(meta or layout.metadata())
        except BaseException:
            build.discard()
            raise
        with open(build.path, "rb") as src:
            shutil.copyfileobj(src, fh)
