"""A labelling session: the documents, the tags, the model's view of each, and the queue.

The web server (:mod:`tagger.app.server`) is a thin layer over this: every decision the
page sends becomes a call here, checked, and stored in the label database.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Sequence

from ..errors import DecisionError, ModelError
from ..io.records import Document
from ..labels.database import Decision, LabelDB, to_decision
from ..labels.ledger import Ledger
from ..labels.queue import claim_next, hold, in_overlap, release, remaining, renew
from ..labels.tagschema import TagSchema
from .checks import checked_evidence, checked_skip, checked_tags
from .queues import QUEUES, read_queue_file
from .recall import Recall
from .tabs import check_held
from .views import document_view, keyword_patterns, proposal

@dataclass
class Session:
    """What ``tagger label`` serves. ``model`` (a TaggerModel) is optional."""

    db: LabelDB
    docs: Sequence[Document]
    schema: TagSchema
    model: object | None = None
    fingerprint: str = ""       # the model's digest (tagger.model.persist.model_digest)
    queue: str = "order"
    overlap: float = 0.0
    annotator: str = "annotator"
    seed: int = 0
    tag_order: str = "schema"  # or "score": the model's likeliest tags first
    retrain_every: int = 10    # the suggest queue: retrain after this many new labels
    relabel: bool = False      # a queue file's articles, labelled before or not
    suggest_tags: tuple = ()   # the suggest queue: spend the picks on these tags (default all)
    order: list[str] = field(default_factory=list, init=False)
    by_id: dict[str, Document] = field(default_factory=dict, init=False)
    refresher: object | None = field(default=None, init=False, repr=False)
    suspects: dict = field(default_factory=dict, init=False, repr=False)
    _views: dict = field(default_factory=dict, init=False, repr=False)
    _keywords: dict = field(default_factory=dict, init=False, repr=False)
    recall: Recall | None = field(default=None, init=False, repr=False)
    ledger: Ledger = field(default_factory=Ledger, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self):
        self.by_id = {d.id: d for d in self.docs}
        self.db.keep_open()  # a request's connection is then never the last one closed
        self.recall = Recall(self.db, self.docs)
        if self.model is not None and list(self.model.tags) != self.schema.ids:
            raise ModelError(f"the model's tags ({', '.join(self.model.tags)}) are not the "
                             f"schema's ({', '.join(self.schema.ids)})")
        self._keywords = keyword_patterns(self.schema)
        if self.relabel and self.queue in QUEUES:
            raise DecisionError("relabelling offers the articles of a queue file (a file of "
                                f"document ids), not the {self.queue!r} queue")
        if self.queue in QUEUES:
            QUEUES.lookup(self.queue)(self)
        else:  # a file of document ids
            self.order = read_queue_file(self.queue, set(self.by_id))

    @property
    def reviewing(self) -> bool:
        """Review and audit store adjudications: a label that wins over those before it."""
        return self.queue in QUEUES and QUEUES.entry(self.queue).info["adjudicates"]

    @property
    def origin(self) -> str:
        """What the decisions of this session are marked with."""
        return self.queue if self.reviewing else "relabel" if self.relabel else "label"

    def queue_order(self, con=None) -> list[str]:
        """The queue's documents in order (``con``: a connection the caller holds, used
        instead of opening another)."""
        if self.refresher is not None:
            return self.refresher.order
        if self.queue in QUEUES and QUEUES.entry(self.queue).info["disputed"]:
            own = con is None
            con = self.db.connect() if own else con
            try:
                disputed = self.ledger.sync(con).disputed()
            finally:
                if own:
                    con.close()
            return [d for d in self.order if d in disputed]
        return self.order

    def needed(self, doc_id: str) -> int:
        return 2 if self.overlap and in_overlap(doc_id, self.overlap) else 1

    # -- the queue -------------------------------------------------------------------
    def _done(self, annotator: str):
        """``done(con)`` for the queue: the documents the annotator is finished with."""
        def done(con) -> set:
            ledger = self.ledger.sync(con)
            if self.reviewing:
                return set(ledger.adjudications())
            mine = ledger.mine(annotator)
            if self.relabel:  # done once relabelled: its decision in force was made relabelling
                return {d for d, (_, origin) in mine.items() if origin == "relabel"}
            return set(mine)
        return done

    def _taken(self, con) -> dict[str, set]:
        if self.reviewing or self.relabel:
            return {}
        return self.ledger.sync(con).taken()

    def next_document(self, annotator: str, tab: str) -> str | None:
        """The document this tab shows (claimed for it), or None when none is left."""
        return claim_next(self.db, annotator=annotator, tab=tab, order=self.queue_order,
                          needed=self._needed(), done=self._done(annotator), taken=self._taken)

    def _needed(self):
        return (lambda _: 1) if self.reviewing or self.relabel else self.needed

    def progress(self, annotator: str) -> dict:
        """How far the annotator is: labelled and skipped (in this session's documents),
        and how many the queue could still give them."""
        con = self.db.connect()
        try:
            done = self._done(annotator)(con)
            taken = self._taken(con)
            order = self.queue_order(con)
        finally:
            con.close()
        if self.reviewing:  # a reviewer's count is of the adjudications in force
            mine = ["adjudicated" for who in self.ledger.adjudications().values()
                    if who == annotator]
        else:
            mine = [a for d, (a, _) in self.ledger.mine(annotator).items() if d in self.by_id]
        return {"annotator": annotator, "queue": self.queue if self.queue in QUEUES else "file",
                "model": self.refresher.status if self.refresher is not None else "",
                "labelled": sum(a in ("saved", "adjudicated") for a in mine),
                "skipped": mine.count("skipped"),
                "remaining": remaining(order, done, taken, annotator,
                                       self._needed())}

    def stats(self, annotator: str) -> dict:
        """For the page: progress; per tag, kappa between annotators (pooled over pairs,
        None when undefined or no overlap yet) and this annotator's against the model's
        proposals; the share of this annotator's tags accepted from the model unchanged."""
        from ..labels.agreement import agreement

        found = agreement(self.db, self.schema.ids)
        pooled = (found["pooled"] or {}).get("per_tag", {})
        mine = found["model"].get(annotator, {})
        return {"progress": self.progress(annotator),
                "kappa": {t: pooled[t]["kappa"] if t in pooled else None for t in self.schema.ids},
                "accepted_share": mine.get("accepted_share"),
                "proposals_accepted": mine.get("proposals_accepted"),
                "model_kappa": {t: (mine.get("per_tag") or {}).get(t, {}).get("kappa")
                                for t in self.schema.ids},
                "overlap_docs": (found["pooled"] or {}).get("n_docs", 0)}

    # -- what a document looks like -----------------------------------------------------
    def view(self, doc_id: str) -> dict:
        """A document as the page shows it (:func:`tagger.app.views.document_view`)."""
        with self._lock:  # requests run in threads; the model's caches are built once
            view = self._views.get(doc_id)
            if view is None:
                view = self._views[doc_id] = document_view(
                    self.by_id[doc_id], self.schema, self.model, self._keywords, self.tag_order)
                if len(self._views) > 256:
                    self._views = {doc_id: view}
            return view

    # -- decisions -----------------------------------------------------------------------
    def decide(self, *, annotator: str, tab: str, doc_id: str, answer: str,
               tags: Sequence[str] = (), evidence: Sequence[dict] = (),
               no_evidence: Sequence[str] = (), none: bool = False,
               accepted: Sequence[str] = ()) -> Decision:
        """Store a decision on a document (checked first); the tab's next document follows.

        ``accepted``: the tags taken from the model's proposal unchanged (each one of
        ``tags`` and of the proposal); one given no evidence gets the model's sentence."""
        if doc_id not in self.by_id:
            raise DecisionError(f"no document {doc_id!r} in this session")
        doc, view = self.by_id[doc_id], self.view(doc_id)
        proposed = proposal(view)
        if answer == "skipped":
            spans = checked_skip(tags, none, evidence, no_evidence, accepted)
            tags, no_evidence, accepted = (), (), ()
        else:
            answer = "adjudicated" if self.reviewing else "saved"
            tags, accepted = checked_tags(self.schema.ids, tags, accepted, none, proposed)
            spans, no_evidence = checked_evidence(doc, tags, accepted, evidence, no_evidence,
                                                  proposed)
        decision = Decision(doc_id=doc_id, annotator=annotator, answer=answer, tags=tags,
                            evidence=spans, no_evidence=no_evidence, model=self.fingerprint,
                            scores=view["scores"], origin=self.origin, accepted=accepted,
                            proposal=None if proposed is None else tuple(proposed["tags"]))
        with self.db.transaction() as con:
            check_held(con, annotator, tab, doc_id)
            stored = self.db.add(decision, con)
            release(con, annotator, tab)
        if self.refresher is not None and answer == "saved":
            self.refresher.changed()
        return stored

    def undo(self, annotator: str, tab: str) -> Decision | None:
        """Undo the annotator's latest decision; the tab shows that document again."""
        with self.db.transaction() as con:
            undone = self.db.undo_last(annotator, con)
            if undone is not None and undone.doc_id in self.by_id:
                hold(con, annotator, tab, undone.doc_id)
        return undone

    def previous(self, annotator: str, doc_id: str) -> Decision | None:
        """The annotator's own decision on this document to start from: the one just
        undone, else the one in force (reopened from the history, or relabelled)."""
        rows = self.db.rows("SELECT * FROM decisions WHERE annotator = ? AND doc_id = ? "
                            "ORDER BY seq DESC LIMIT 1", (annotator, doc_id))
        if not rows:
            return None
        if rows[0]["answer"] == "undone":
            rows = self.db.rows("SELECT * FROM decisions WHERE seq = ?", (rows[0]["undoes"],))
        return to_decision(rows[0]) if rows else None

    def others(self, doc_id: str) -> list[Decision]:
        """In review: each annotator's decision in force on the document."""
        return [to_decision(r) for r in self.db.rows(
            "SELECT * FROM current_labels WHERE doc_id = ? AND answer = 'saved' ORDER BY seq",
            (doc_id,))]

    # -- going back: the history, opening by id, search ------------------------------------
    def history(self, annotator: str, limit: int = 20) -> list[dict]:
        """:meth:`tagger.app.recall.Recall.history`."""
        return self.recall.history(annotator, limit)

    def search(self, query: str, annotator: str | None = None, limit: int = 20) -> list[dict]:
        """:meth:`tagger.app.recall.Recall.search`."""
        return self.recall.search(query, annotator, limit)

    def open_document(self, annotator: str, tab: str, doc_id: str) -> str:
        """Show this document in the tab (claimed for it), whatever the queue says: a
        decision on it is a new row in the log."""
        if doc_id not in self.by_id:
            raise DecisionError(f"no document {doc_id!r} in this session")
        with self.db.transaction(durable=False) as con:
            hold(con, annotator, tab, doc_id)
        return doc_id

    # -- claims: a tab holds its article while it beats --------------------------------------
    def heartbeat(self, annotator: str, tab: str, doc_id: str | None = None) -> str | None:
        """Renew the tab's claim (taking ``doc_id`` again if its claim had lapsed and no
        other tab took it); returns the document the tab holds, None if none."""
        if doc_id is not None and doc_id not in self.by_id:
            raise DecisionError(f"no document {doc_id!r} in this session")
        with self.db.transaction(durable=False) as con:
            return renew(con, annotator, tab, doc_id)

    def release(self, annotator: str, tab: str) -> None:
        """The tab closed: its article is free at once."""
        with self.db.transaction(durable=False) as con:
            release(con, annotator, tab)

