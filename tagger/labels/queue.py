"""Which article each browser tab gets next, so that no two get the same one by accident.

A tab *claims* the article it shows (a row of ``claims``, per annotator and tab). The next
article for a tab is the first in the queue's order that its annotator has not decided,
that no other tab holds, and that fewer annotators have labelled or hold than it needs (one,
or two for the share sent to two annotators). All of it happens in one write transaction,
so two tabs asking at once are served one after the other. The page renews its claim
every few seconds (a heartbeat) and releases it when the tab closes; a claim not renewed
for :data:`CLAIM_TTL` seconds (a tab closed without a word, a machine asleep) lets its
article go.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from typing import Callable, Iterable, Sequence

from .database import LabelDB

CLAIM_TTL = 15  # seconds: a few missed heartbeats


def in_overlap(doc_id: str, share: float) -> bool:
    """Whether a document goes to two annotators: a fixed share of ids, chosen by hash so
    that every server on the same database agrees, across restarts."""
    h = int.from_bytes(hashlib.sha256(doc_id.encode("utf-8")).digest()[:8], "big")
    return h < share * 2**64


def held(con: sqlite3.Connection, annotator: str, tab: str) -> str | None:
    row = con.execute("SELECT doc_id FROM claims WHERE annotator = ? AND tab = ?",
                      (annotator, tab)).fetchone()
    return row["doc_id"] if row else None


def hold(con: sqlite3.Connection, annotator: str, tab: str, doc_id: str) -> None:
    con.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?)",
                (doc_id, annotator, tab, time.time()))


def release(con: sqlite3.Connection, annotator: str, tab: str) -> None:
    con.execute("DELETE FROM claims WHERE annotator = ? AND tab = ?", (annotator, tab))


def renew(con: sqlite3.Connection, annotator: str, tab: str,
          doc_id: str | None = None) -> str | None:
    """A tab's heartbeat: renew its claim; if the claim had lapsed, take ``doc_id`` again
    unless another tab holds it now. Returns what the tab holds (None: nothing)."""
    now = time.time()
    if con.execute("UPDATE claims SET claimed = ? WHERE annotator = ? AND tab = ?",
                   (now, annotator, tab)).rowcount:
        return held(con, annotator, tab)
    if doc_id is None:
        return None
    con.execute("DELETE FROM claims WHERE claimed < ?", (now - CLAIM_TTL,))
    if con.execute("SELECT 1 FROM claims WHERE doc_id = ?", (doc_id,)).fetchone():
        return None
    hold(con, annotator, tab, doc_id)
    return doc_id


def claim_next(db: LabelDB, *, annotator: str, tab: str,
               order: Callable[[sqlite3.Connection], Sequence[str]],
               needed: Callable[[str], int], done: Callable[[sqlite3.Connection], set],
               taken: Callable[[sqlite3.Connection], dict]) -> str | None:
    """The document this tab shows now: the one it holds, else the next free one in
    ``order(con)`` (claimed for it), else None when the queue has nothing left for it.

    ``done(con)``: the documents this annotator is finished with; ``taken(con)``: per
    document, the annotators who have labelled it. Each is given the transaction's own
    connection: one connection per call, and all of it read at one moment.
    """
    with db.transaction(durable=False) as con:  # claims are working state, not records
        con.execute("DELETE FROM claims WHERE claimed < ?", (time.time() - CLAIM_TTL,))
        finished = done(con)
        current = held(con, annotator, tab)
        if current is not None and current not in finished:
            hold(con, annotator, tab, current)
            return current
        takers = {k: set(v) - {annotator} for k, v in taken(con).items()}
        mine = set()
        for row in con.execute("SELECT doc_id, annotator, tab FROM claims"):
            if row["annotator"] == annotator:
                if row["tab"] != tab:
                    mine.add(row["doc_id"])
            else:
                takers.setdefault(row["doc_id"], set()).add(row["annotator"])
        for doc_id in order(con):
            if doc_id in finished or doc_id in mine:
                continue
            if len(takers.get(doc_id, ())) < needed(doc_id):
                hold(con, annotator, tab, doc_id)
                return doc_id
        release(con, annotator, tab)
        return None


def remaining(order: Iterable[str], finished: set, takers: dict, annotator: str,
              needed: Callable[[str], int]) -> int:
    """How many documents of the queue this annotator could still be given."""
    return sum(1 for d in order if d not in finished
               and len(set(takers.get(d, ())) - {annotator}) < needed(d))
