"""The decisions in force, kept in memory for a server and brought up to date from the
log's new rows: the log is append-only, so the rows past the last ``seq`` read are all that
changed, whoever wrote them (another server on the same database too).

Reading the views ``current_labels`` and ``adjudications`` whole costs time in proportion
to the log (tens of milliseconds at a few thousand decisions), and the queue needs them
several times per article; this reads each new row once.
"""

from __future__ import annotations

import json
import sqlite3
import threading


class Ledger:
    """Per annotator and document the answer in force (saved or skipped) and its origin;
    per document the annotators whose saved label is in force with its tags, and the
    adjudicator."""

    def __init__(self):
        self.seq = 0
        self.current: dict[str, dict[str, tuple[str, str]]] = {}  # annotator -> doc -> (answer, origin)
        self.saved_by: dict[str, dict] = {}     # doc -> {annotator: tags} of saved labels in force
        self.adjudicated: dict[str, str] = {}   # doc -> annotator of the adjudication in force
        self._lock = threading.Lock()

    def sync(self, con: sqlite3.Connection) -> "Ledger":
        """Read the rows written since the last call (inside ``con``'s transaction, when the
        caller needs what it reads to stay true until it commits)."""
        with self._lock:
            rows = con.execute("SELECT seq, doc_id, annotator, answer, origin, tags FROM decisions "
                               "WHERE seq > ? ORDER BY seq", (self.seq,)).fetchall()
            for seq, doc_id, annotator, answer, origin, tags in rows:
                if answer in ("saved", "skipped"):
                    self._set(annotator, doc_id, (answer, origin), tags)
                elif answer == "adjudicated":
                    self.adjudicated[doc_id] = annotator
                else:  # undone: what is in force now, read from the views for this pair
                    self._reread(con, annotator, doc_id)
                self.seq = seq
        return self

    def _set(self, annotator: str, doc_id: str, value: tuple[str, str] | None,
             tags: str = "[]") -> None:
        mine = self.current.setdefault(annotator, {})
        if value is None:
            mine.pop(doc_id, None)
        else:
            mine[doc_id] = value
        takers = self.saved_by.setdefault(doc_id, {})
        if value is not None and value[0] == "saved":
            takers[annotator] = frozenset(json.loads(tags))
        else:
            takers.pop(annotator, None)

    def _reread(self, con: sqlite3.Connection, annotator: str, doc_id: str) -> None:
        row = con.execute("SELECT answer, origin, tags FROM current_labels WHERE doc_id = ? AND "
                          "annotator = ?", (doc_id, annotator)).fetchone()
        self._set(annotator, doc_id, (row[0], row[1]) if row else None, row[2] if row else "[]")
        row = con.execute("SELECT annotator FROM adjudications WHERE doc_id = ?",
                          (doc_id,)).fetchone()
        if row:
            self.adjudicated[doc_id] = row[0]
        else:
            self.adjudicated.pop(doc_id, None)

    def mine(self, annotator: str) -> dict[str, tuple[str, str]]:
        """The annotator's answers in force: doc -> (answer, origin)."""
        with self._lock:
            return dict(self.current.get(annotator, {}))

    def taken(self) -> dict[str, set]:
        """Per document, the annotators whose saved label is in force."""
        with self._lock:
            return {doc: set(who) for doc, who in self.saved_by.items() if who}

    def disputed(self) -> set:
        """The documents whose annotators' saved labels in force differ (as
        :func:`tagger.labels.resolve.disagreements` finds them)."""
        with self._lock:
            return {doc for doc, who in self.saved_by.items()
                    if len(who) > 1 and len(set(who.values())) > 1}

    def adjudications(self) -> dict[str, str]:
        with self._lock:
            return dict(self.adjudicated)
