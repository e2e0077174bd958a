"""A labelling session: the documents, the tags, the model's view of each, and the queue.

The web server (:mod:`tagger.app.server`) is a thin layer over this: every decision the
page sends becomes a call here, checked, and stored in the label database.
"""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..errors import DecisionError, InputError, ModelError
from ..io.labeldb import Decision, LabelDB, to_decision
from ..io.labelqueue import claim_next, hold, in_overlap, release, remaining
from ..io.labelsets import disagreements
from ..io.records import Document
from ..io.schema import TagSchema
from ..text.sentences import sentence_spans

QUEUES = ("order", "random", "suggest", "review", "audit")  # or a file of ids
MAX_KEYS = 9  # tags 1-9 have a key each


def model_fingerprint(directory: str | Path) -> str:
    """A short hash of a model directory's files: which model's scores a decision saw."""
    h = hashlib.sha256()
    for name in ("model.json", "arrays.npz"):
        h.update((Path(directory) / name).read_bytes())
    return h.hexdigest()[:16]


def read_queue_file(path: str | Path, known: set[str]) -> list[str]:
    """Document ids to label, in order, each among ``known``: one a line ('#' starts a
    comment), or a CSV with an ``id`` column, or JSONL objects with an ``id`` (as
    `tagger suggest` writes them)."""
    import csv
    import json

    from ..io.decoding import read_text_file

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "does not exist (a queue is 'order', 'random', 'suggest', "
                               "'review', 'audit' or a file of document ids)")
    lines = read_text_file(path, 64 * 2**20).splitlines()
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("{"):
        rows = []
        for n, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    rows.append((n, str(json.loads(line)["id"])))
                except (ValueError, KeyError, TypeError):
                    raise InputError(path, "expected a JSON object with an 'id'", line=n) from None
    elif "id" in next(csv.reader([first])):
        reader = csv.DictReader(lines)
        rows = [(reader.line_num, r["id"].strip()) for r in reader]
    else:
        rows = [(n, raw.split("#", 1)[0].strip()) for n, raw in enumerate(lines, start=1)]
    out, seen = [], set()
    for line, doc_id in rows:
        if not doc_id:
            continue
        if doc_id not in known:
            raise InputError(path, f"id {doc_id!r} is not among the documents given", line=line)
        if doc_id not in seen:
            seen.add(doc_id)
            out.append(doc_id)
    return out


@dataclass
class Session:
    """What ``tagger label`` serves. ``model`` (a TaggerModel) is optional."""

    db: LabelDB
    docs: Sequence[Document]
    schema: TagSchema
    model: object | None = None
    fingerprint: str = ""
    queue: str = "order"
    overlap: float = 0.0
    annotator: str = "annotator"
    seed: int = 0
    tag_order: str = "schema"  # or "score": the model's likeliest tags first
    retrain_every: int = 10    # the suggest queue: retrain after this many new labels
    suggest_tags: tuple = ()   # the suggest queue: spend the picks on these tags (default all)
    order: list[str] = field(default_factory=list, init=False)
    by_id: dict[str, Document] = field(default_factory=dict, init=False)
    refresher: object | None = field(default=None, init=False, repr=False)
    suspects: dict = field(default_factory=dict, init=False, repr=False)
    _views: dict = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self):
        self.by_id = {d.id: d for d in self.docs}
        if self.model is not None and list(self.model.tags) != self.schema.ids:
            raise ModelError(f"the model's tags ({', '.join(self.model.tags)}) are not the "
                             f"schema's ({', '.join(self.schema.ids)})")
        ids = [d.id for d in self.docs]
        if self.queue == "order" or self.queue == "review":
            self.order = ids
        elif self.queue == "random":
            self.order = ids[:]
            random.Random(self.seed).shuffle(self.order)
        elif self.queue == "suggest":
            if self.model is None:
                raise ModelError("the 'suggest' queue orders articles by a model's scores, "
                                 "and no model was given")
            from .refresh import Refresher

            self.refresher = Refresher(self.db, self.docs, self.schema, self.model,
                                       every=self.retrain_every, seed=self.seed,
                                       tags=self.suggest_tags)
        elif self.queue == "audit":
            self.order, self.suspects = self._audit()
        else:
            self.order = read_queue_file(self.queue, set(ids))

    @property
    def reviewing(self) -> bool:
        """Review and audit store adjudications: a label that wins over those before it."""
        return self.queue in ("review", "audit")

    def _audit(self) -> tuple[list[str], dict]:
        """The labels in the database most likely wrong (:func:`tagger.evaluation.audit`),
        trained with the model's settings (else the defaults), no search."""
        from dataclasses import replace

        from ..evaluation.audit import audit
        from ..io.labelsets import resolve

        labels = resolve(self.db).labels
        docs = [replace(d, tags=labels.get(d.id)) for d in self.docs]
        found = audit(docs, schema=self.schema, k=None,
                      settings=self.model.settings if self.model is not None else None)
        by_doc: dict[str, list] = {}
        for s in found:
            by_doc.setdefault(s.id, []).append(s.to_dict())
        return list(by_doc), by_doc

    def queue_order(self) -> list[str]:
        if self.refresher is not None:
            return self.refresher.order
        if self.queue == "review":
            disputed = disagreements(self.db.current())
            return [d for d in self.order if d in disputed]
        return self.order

    def needed(self, doc_id: str) -> int:
        return 2 if self.overlap and in_overlap(doc_id, self.overlap) else 1

    # -- the queue -------------------------------------------------------------------
    def _done(self, annotator: str):
        if self.reviewing:
            return lambda con: {r["doc_id"] for r in con.execute("SELECT doc_id FROM adjudications")}
        return lambda con: {r["doc_id"] for r in con.execute(
            "SELECT doc_id FROM current_labels WHERE annotator = ?", (annotator,))}

    def _taken(self, con) -> dict[str, set]:
        if self.reviewing:
            return {}
        out: dict[str, set] = {}
        for r in con.execute("SELECT doc_id, annotator FROM current_labels WHERE answer = 'saved'"):
            out.setdefault(r["doc_id"], set()).add(r["annotator"])
        return out

    def next_document(self, annotator: str, tab: str) -> str | None:
        """The document this tab shows (claimed for it), or None when none is left."""
        order = self.queue_order()
        return claim_next(self.db, annotator=annotator, tab=tab, order=order,
                          needed=(lambda _: 1) if self.reviewing else self.needed,
                          done=self._done(annotator), taken=self._taken)

    def progress(self, annotator: str) -> dict:
        con = self.db.connect()
        try:
            done = self._done(annotator)(con)
            taken = self._taken(con)
        finally:
            con.close()
        order = self.queue_order()
        mine = [d for d in self.db.current(annotator) if d.doc_id in self.by_id]
        if self.reviewing:  # a reviewer's count is of the adjudications in force
            mine = [d for d in self.db.adjudications().values() if d.annotator == annotator]
        return {"annotator": annotator, "queue": self.queue if self.queue in QUEUES else "file",
                "model": self.refresher.status if self.refresher is not None else "",
                "labelled": sum(d.answer in ("saved", "adjudicated") for d in mine),
                "skipped": sum(d.answer == "skipped" for d in mine),
                "remaining": remaining(order, done, taken, annotator,
                                       (lambda _: 1) if self.reviewing else self.needed)}

    # -- what a document looks like -----------------------------------------------------
    def view(self, doc_id: str) -> dict:
        """A document as the page shows it: its sentences (spans of the text), and per
        tag the model's score, whether it passes the threshold, and its best sentence."""
        with self._lock:  # requests run in threads; the model's caches are built once
            view = self._views.get(doc_id)
            if view is None:
                view = self._views[doc_id] = self._view(self.by_id[doc_id])
                if len(self._views) > 256:
                    self._views = {doc_id: view}
            return view

    def _view(self, doc: Document) -> dict:
        spans = sentence_spans(doc.text)
        scores, above, best = {}, set(), {}
        if self.model is not None:
            (pred,) = self.model.predict([doc])  # with each given tag's evidence sentence
            scores = pred.scores
            above = set(pred.tags)
            best = {t: (e["start"], e["end"]) for t, e in pred.evidence.items()}
        listed = list(enumerate(self.schema.tags))
        if self.tag_order == "score" and scores:
            listed.sort(key=lambda kt: -scores[kt[1].id])
        tags = []
        for n, (k, tag) in enumerate(listed):
            tags.append({"id": tag.id, "key": str(n + 1) if n < MAX_KEYS else "",
                         "name": tag.name or tag.id, "description": tag.description,
                         "score": scores.get(tag.id),
                         "threshold": (float(self.model.thresholds[k]) if self.model is not None
                                       else None),
                         "model": tag.id in above, "best": best.get(tag.id)})
        return {"id": doc.id, "title": doc.title, "date": doc.date, "outlet": doc.outlet,
                "text": doc.text, "sentences": spans, "tags": tags, "scores": scores}

    # -- decisions -----------------------------------------------------------------------
    def decide(self, *, annotator: str, tab: str, doc_id: str, answer: str,
               tags: Sequence[str] = (), evidence: Sequence[dict] = (),
               no_evidence: Sequence[str] = (), none: bool = False) -> Decision:
        """Store a decision on a document (checked first); the tab's next document follows."""
        if doc_id not in self.by_id:
            raise DecisionError(f"no document {doc_id!r} in this session")
        doc = self.by_id[doc_id]
        known = set(self.schema.ids)
        tags = tuple(tags)
        if answer == "skipped":
            tags, spans, no_evidence = (), (), ()
        else:
            answer = "adjudicated" if self.reviewing else "saved"
            if not tags and not none:
                raise DecisionError("no tag chosen: say 'read, no tag applies' (0) if none does")
            unknown = [t for t in tags if t not in known]
            if unknown:
                raise DecisionError(f"unknown tag {unknown[0]!r}")
            spans = tuple(self._span(doc, e, set(tags)) for e in evidence)
            backed = {s["tag"] for s in spans}
            missing = [t for t in tags if t not in backed and t not in no_evidence]
            if missing:
                raise DecisionError(f"{missing[0]} has no evidence: click the sentence that "
                                    "earns it, or say it has none (n)")
            no_evidence = tuple(t for t in tags if t in no_evidence and t not in backed)
        view = self.view(doc_id)
        decision = Decision(doc_id=doc_id, annotator=annotator, answer=answer, tags=tags,
                            evidence=spans, no_evidence=no_evidence, model=self.fingerprint,
                            scores=view["scores"],
                            origin=self.queue if self.reviewing else "label")
        with self.db.transaction() as con:
            stored = self.db.add(decision, con)
            release(con, annotator, tab)
        if self.refresher is not None and answer == "saved":
            self.refresher.changed()
        return stored

    @staticmethod
    def _span(doc: Document, e: dict, tags: set) -> dict:
        try:
            tag, start, end = e["tag"], int(e["start"]), int(e["end"])
        except (KeyError, TypeError, ValueError):
            raise DecisionError("each evidence span needs its tag, start and end") from None
        if tag not in tags:
            raise DecisionError(f"evidence for {tag!r}, a tag the decision does not give")
        if not 0 <= start < end <= len(doc.text):
            raise DecisionError("an evidence span lies outside the document's text")
        return {"tag": tag, "start": start, "end": end, "text": doc.text[start:end]}

    def undo(self, annotator: str, tab: str) -> Decision | None:
        """Undo the annotator's latest decision; the tab shows that document again."""
        with self.db.transaction() as con:
            undone = self.db.undo_last(annotator, con)
            if undone is not None and undone.doc_id in self.by_id:
                hold(con, annotator, tab, undone.doc_id)
        return undone

    def previous(self, annotator: str, doc_id: str) -> Decision | None:
        """The decision just undone on this document by this annotator, to start from."""
        rows = self.db.rows("SELECT d.* FROM decisions u JOIN decisions d ON d.seq = u.undoes "
                            "WHERE u.answer = 'undone' AND u.annotator = ? AND d.doc_id = ? "
                            "ORDER BY u.seq DESC LIMIT 1", (annotator, doc_id))
        return to_decision(rows[0]) if rows else None

    def others(self, doc_id: str) -> list[Decision]:
        """In review: each annotator's decision in force on the document."""
        return [d for d in self.db.current() if d.doc_id == doc_id and d.answer == "saved"]

