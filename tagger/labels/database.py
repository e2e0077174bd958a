"""The label database: every labelling decision, kept in SQLite, never changed once written.

One table, ``decisions``, takes a row for every decision: a label saved, an article
skipped, an earlier decision undone, a disagreement adjudicated. Triggers refuse UPDATE and
DELETE, so the table is a log; what a document's label is *now* is a view over it
(``current_labels``: the latest decision of each annotator on each document that no later
row undid; ``adjudications``: the latest adjudicated label of each document). The database
runs in WAL mode with full syncs, and a decision is acknowledged only after its
transaction commits, so a killed server loses nothing it acknowledged.

The schema is a list of migrations (:mod:`tagger.labels.migrations`), applied in order when a
database is opened: one written by an older tagger is migrated in place.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DecisionError, InputError
from ..io.sqlitefile import LABELS_ID, check_intact, read_header, reading, refuse_foreign
from .migrations import ANSWERS, FORMAT, MIGRATIONS, VERSION, kind, migrate, now  # noqa: F401

MAX_TAGS_PER_DECISION = 1000
MAX_EVIDENCE = 200      # evidence spans in one decision
MAX_FIELD_CHARS = 20_000  # an evidence sentence, an annotator's name, a note
BUSY_MS = 10_000


@dataclass(frozen=True)
class Decision:
    """One row of the log (``seq`` and ``created`` are filled in when it is written)."""

    doc_id: str
    annotator: str
    answer: str
    tags: tuple[str, ...] = ()
    evidence: tuple[dict, ...] = ()  # {"tag", "start", "end", "text"}
    no_evidence: tuple[str, ...] = ()
    # The model whose scores were shown: its digest (tagger.model.persist.model_digest), as
    # in tagged records. Rows written before that carry 16 hex digits of SHA-256 over
    # model.json and arrays.npz; nothing compares the values, so both are kept as written.
    model: str = ""
    scores: dict = field(default_factory=dict)
    undoes: int | None = None
    origin: str = ""
    # of ``tags``, those that were the model's proposal accepted unchanged (None: not
    # recorded, a decision written before version 2), and what the model proposed
    accepted: tuple[str, ...] | None = ()
    proposal: tuple[str, ...] | None = None
    seq: int | None = None
    created: str = ""

    def to_dict(self) -> dict:
        return {"seq": self.seq, "id": self.doc_id, "annotator": self.annotator,
                "answer": self.answer, "tags": list(self.tags), "evidence": list(self.evidence),
                "no_evidence": list(self.no_evidence), "model": self.model,
                "scores": dict(self.scores), "undoes": self.undoes, "origin": self.origin,
                "accepted": None if self.accepted is None else list(self.accepted),
                "proposal": None if self.proposal is None else list(self.proposal),
                "created": self.created}


def is_database(path: str | Path) -> bool:
    """A label database, by its suffix."""
    return Path(path).suffix.lower() in (".db", ".sqlite", ".sqlite3")


class LabelDB:
    """A label database file. Each call opens its own connection, so one LabelDB can be
    shared by threads (a server's requests) and processes can share the file."""

    def __init__(self, path: str | Path, *, create: bool = True):
        """Open ``path``, refusing (one line, the file unchanged) anything but a label
        database: only a missing or empty file is made one, and only when ``create``."""
        self.path = Path(path)
        try:
            header = read_header(self.path, "a label database")
            if header is None:
                self._create(create)
                return
            refuse_foreign(self.path, header, LABELS_ID, "a tagger label database")
            with reading(self.path, header, LABELS_ID) as con:  # read-only: nothing written yet
                check_intact(con, self.path)
                _, found = kind(con, self.path)
            if not found:
                raise InputError(self.path, "is an SQLite database with no tables, not a "
                                            "tagger label database; tagger leaves it as it is")
            with self.transaction() as con:
                self.migrated = migrate(con, self.path)
        except sqlite3.DatabaseError as exc:
            raise InputError(self.path, f"cannot be used as a label database ({exc})") from None

    def _create(self, create: bool) -> None:
        """Make a missing or empty file a label database: its schema and application id
        in one transaction, before WAL mode, so it is never left half made."""
        if not create:
            raise InputError(self.path, "does not exist" if not self.path.exists()
                             else "is empty, not a label database")
        if not self.path.parent.is_dir():
            raise InputError(self.path, "its directory does not exist")
        con = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                self.migrated = migrate(con, self.path)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
            con.execute("PRAGMA journal_mode=WAL")  # recorded in the header, for every reader
        finally:
            con.close()

    def keep_open(self) -> None:
        """Hold one idle connection while this object lives. In WAL mode, closing the last
        connection checkpoints the log into the database and deletes it (fsyncs each
        time); a server opening a connection per request would pay that on every one."""
        if getattr(self, "_kept", None) is None:
            self._kept = self.connect()

    def secret(self) -> str:
        """A random secret kept in the database (made on first use): the CSRF token of every
        server on it, so a page stays usable across a server's restart."""
        import secrets

        with self.transaction() as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
            if row is not None:
                return row["value"]
            value = secrets.token_urlsafe(24)
            con.execute("INSERT INTO meta VALUES ('secret', ?)", (value,))
            return value

    def connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")  # a commit is on disk before it is acknowledged
        con.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        con.row_factory = sqlite3.Row
        return con

    @contextmanager
    def transaction(self, *, durable: bool = True):
        """A write transaction, taken at once (BEGIN IMMEDIATE): writers queue, never
        interleave; commits on success, rolls back on any error. ``durable=False``: its
        commit is not synced to disk (a power cut may lose it, never corrupt the file):
        for working state only, such as which tab holds which article, never decisions."""
        con = self.connect()
        try:
            if not durable:
                con.execute("PRAGMA synchronous=NORMAL")
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def add(self, decision: Decision, con: sqlite3.Connection | None = None) -> Decision:
        """Append a decision; returns it with its ``seq`` and time. Inside ``con``'s
        transaction when given, else in a transaction of its own."""
        check_decision(decision)
        if con is None:
            with self.transaction() as own:
                return self.add(decision, own)
        created = now()
        cur = con.execute(
            "INSERT INTO decisions (doc_id, annotator, answer, tags, evidence, no_evidence, "
            "model, scores, undoes, origin, accepted, proposal, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (decision.doc_id, decision.annotator, decision.answer, _json(list(decision.tags)),
             _json(list(decision.evidence)), _json(list(decision.no_evidence)), decision.model,
             _json(decision.scores), decision.undoes, decision.origin,
             _json(list(decision.accepted or ())),
             None if decision.proposal is None else _json(list(decision.proposal)), created))
        return Decision(**{**decision.__dict__, "seq": cur.lastrowid, "created": created})

    def undo_last(self, annotator: str, con: sqlite3.Connection | None = None) -> Decision | None:
        """Undo the annotator's latest decision still in force; returns the decision undone
        (None when there is none)."""
        if con is None:
            with self.transaction() as own:
                return self.undo_last(annotator, own)
        row = con.execute("SELECT * FROM effective WHERE annotator = ? ORDER BY seq DESC LIMIT 1",
                          (annotator,)).fetchone()
        if row is None:
            return None
        undone = to_decision(row)
        self.add(Decision(doc_id=undone.doc_id, annotator=annotator, answer="undone",
                          undoes=undone.seq, origin=undone.origin), con)
        return undone

    def rows(self, query: str, args=()) -> list[sqlite3.Row]:
        con = self.connect()
        try:
            return con.execute(query, args).fetchall()
        finally:
            con.close()

    def current(self, annotator: str | None = None) -> list[Decision]:
        """Each annotator's decision in force on each document (saved or skipped)."""
        where, args = ("WHERE annotator = ?", (annotator,)) if annotator else ("", ())
        return [to_decision(r) for r in self.rows(f"SELECT * FROM current_labels {where} "
                                                  "ORDER BY seq", args)]

    def adjudications(self) -> dict[str, Decision]:
        return {r["doc_id"]: to_decision(r) for r in self.rows("SELECT * FROM adjudications")}

    def log(self) -> list[Decision]:
        return [to_decision(r) for r in self.rows("SELECT * FROM decisions ORDER BY seq")]


def to_decision(row: sqlite3.Row) -> Decision:
    return Decision(doc_id=row["doc_id"], annotator=row["annotator"], answer=row["answer"],
                    tags=tuple(json.loads(row["tags"])), evidence=tuple(json.loads(row["evidence"])),
                    no_evidence=tuple(json.loads(row["no_evidence"])), model=row["model"],
                    scores=json.loads(row["scores"]), undoes=row["undoes"], origin=row["origin"],
                    accepted=_tuple_or_none(row["accepted"]),
                    proposal=_tuple_or_none(row["proposal"]), seq=row["seq"],
                    created=row["created"])


def _tuple_or_none(value: str | None) -> tuple | None:
    return None if value is None else tuple(json.loads(value))


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def check_decision(d: Decision) -> None:
    """Every field within its bounds, so no request can store what a reader would choke on."""
    def bad(why: str):
        raise DecisionError(f"decision on {d.doc_id!r}: {why}")

    if d.answer not in ANSWERS:
        bad(f"unknown answer {d.answer!r}")
    for name, value in (("document id", d.doc_id), ("annotator", d.annotator),
                        ("origin", d.origin), ("model", d.model)):
        if not isinstance(value, str) or len(value) > MAX_FIELD_CHARS:
            bad(f"the {name} must be a string of at most {MAX_FIELD_CHARS} characters")
    if not d.doc_id or not d.annotator.strip():
        bad("needs a document id and an annotator")
    if len(d.tags) > MAX_TAGS_PER_DECISION or len(set(d.tags)) != len(d.tags):
        bad("tags must be distinct, and at most 1000")
    if len(d.evidence) > MAX_EVIDENCE:
        bad(f"at most {MAX_EVIDENCE} evidence sentences")
    for e in d.evidence:
        if (not isinstance(e, dict) or set(e) != {"tag", "start", "end", "text"}
                or e["tag"] not in d.tags or not isinstance(e["text"], str)
                or not e["text"].strip() or len(e["text"]) > MAX_FIELD_CHARS):
            bad("each evidence span needs a tag the decision gives, its start, end and text")
        if e["start"] is not None and not (isinstance(e["start"], int) and isinstance(e["end"], int)
                                           and 0 <= e["start"] < e["end"]):
            bad("an evidence span's start and end must be offsets into the text")
    if not set(d.no_evidence) <= set(d.tags):
        bad("a tag without evidence must be one of the decision's tags")
    if d.accepted is not None and (not set(d.accepted) <= set(d.tags)
                                   or len(set(d.accepted)) != len(d.accepted)):
        bad("an accepted tag must be one of the decision's tags, once")
    if d.accepted and d.proposal is not None and not set(d.accepted) <= set(d.proposal):
        bad("an accepted tag must be one the model proposed")
    if d.proposal is not None and (len(d.proposal) > MAX_TAGS_PER_DECISION
                                   or not all(isinstance(t, str) for t in d.proposal)):
        bad("the model's proposal is a list of at most 1000 tags")
    if not all(isinstance(v, (int, float)) for v in d.scores.values()):
        bad("scores must be numbers")
