"""A labelling session: the documents, the tags, the model's view of each, and the queue.

The web server (:mod:`tagger.app.server`) is a thin layer over this: every decision the
page sends becomes a call here, checked, and stored in the label database.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..errors import DecisionError, InputError, ModelError
from ..io.labeldb import Decision, LabelDB, to_decision
from ..io.labelqueue import claim_next, hold, in_overlap, release, remaining, renew
from ..io.labelsets import disagreements
from ..io.records import Document
from ..io.schema import TagSchema
from ..text.sentences import sentence_spans

QUEUES = ("order", "random", "suggest", "review", "audit")  # or a file of ids
MAX_KEYS = 9  # tags 1-9 have a key each
MAX_HISTORY = 200        # decisions the history gives at most
MAX_RESULTS = 50         # search results at most
MAX_QUERY_WORDS = 10     # words of a search at most
MAX_KEYWORD_SPANS = 300  # highlighted keyword spans per tag in one article
SNIPPET_CHARS = 160
DECIDED = ("saved", "skipped", "adjudicated")


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: text between blank lines when it has any (a hard-
    wrapped .txt), else between line breaks (a saved page, a JSONL text with newlines);
    the whole text, when it has none."""
    breaks = r"\n[ \t\r\f\v]*\n\s*" if re.search(r"\n[ \t\r\f\v]*\n", text) else r"\n\s*"
    out, at = [], 0
    for m in re.finditer(breaks, text):
        if text[at:m.start()].strip():
            out.append((at, m.start()))
        at = m.end()
    if text[at:].strip() or not out:
        out.append((at, len(text)))
    return out


def keyword_patterns(schema: TagSchema) -> dict[str, re.Pattern]:
    """Per tag with keywords, one pattern finding them as whole words, in any case, across
    any run of spaces or punctuation between a phrase's words (for highlighting: the
    model's own matching, with its context words, is :class:`tagger.text.keywords.Lexicon`)."""
    out = {}
    for tag in schema.tags:
        phrases = sorted({k.strip() for k in tag.keywords if k.strip()}, key=len, reverse=True)
        if phrases:
            alts = ("[\\W_]+".join(re.escape(w) for w in p.split()) for p in phrases)
            out[tag.id] = re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.IGNORECASE)
    return out


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
    relabel: bool = False      # a queue file's articles, labelled before or not
    order: list[str] = field(default_factory=list, init=False)
    by_id: dict[str, Document] = field(default_factory=dict, init=False)
    refresher: object | None = field(default=None, init=False, repr=False)
    suspects: dict = field(default_factory=dict, init=False, repr=False)
    _views: dict = field(default_factory=dict, init=False, repr=False)
    _keywords: dict = field(default_factory=dict, init=False, repr=False)
    _haystacks: list | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self):
        self.by_id = {d.id: d for d in self.docs}
        if self.model is not None and list(self.model.tags) != self.schema.ids:
            raise ModelError(f"the model's tags ({', '.join(self.model.tags)}) are not the "
                             f"schema's ({', '.join(self.schema.ids)})")
        ids = [d.id for d in self.docs]
        self._keywords = keyword_patterns(self.schema)
        if self.relabel and self.queue in QUEUES:
            raise DecisionError("relabelling offers the articles of a queue file (a file of "
                                f"document ids), not the {self.queue!r} queue")
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
                                       every=self.retrain_every, seed=self.seed)
        elif self.queue == "audit":
            self.order, self.suspects = self._audit()
        else:
            self.order = read_queue_file(self.queue, set(ids))

    @property
    def reviewing(self) -> bool:
        """Review and audit store adjudications: a label that wins over those before it."""
        return self.queue in ("review", "audit")

    @property
    def origin(self) -> str:
        """What the decisions of this session are marked with."""
        return self.queue if self.reviewing else "relabel" if self.relabel else "label"

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
        if self.relabel:  # done once relabelled: its decision in force was made relabelling
            return lambda con: {r["doc_id"] for r in con.execute(
                "SELECT doc_id FROM current_labels WHERE annotator = ? AND origin = 'relabel'",
                (annotator,))}
        return lambda con: {r["doc_id"] for r in con.execute(
            "SELECT doc_id FROM current_labels WHERE annotator = ?", (annotator,))}

    def _taken(self, con) -> dict[str, set]:
        if self.reviewing or self.relabel:
            return {}
        out: dict[str, set] = {}
        for r in con.execute("SELECT doc_id, annotator FROM current_labels WHERE answer = 'saved'"):
            out.setdefault(r["doc_id"], set()).add(r["annotator"])
        return out

    def next_document(self, annotator: str, tab: str) -> str | None:
        """The document this tab shows (claimed for it), or None when none is left."""
        order = self.queue_order()
        return claim_next(self.db, annotator=annotator, tab=tab, order=order,
                          needed=self._needed(), done=self._done(annotator), taken=self._taken)

    def _needed(self):
        return (lambda _: 1) if self.reviewing or self.relabel else self.needed

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
                "remaining": remaining(order, done, taken, annotator, self._needed())}

    def stats(self, annotator: str) -> dict:
        """For the page: progress; per tag, kappa between annotators (pooled over pairs,
        None when undefined or no overlap yet) and this annotator's against the model's
        proposals; the share of this annotator's tags accepted from the model unchanged."""
        from ..evaluation.agreement import agreement

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
                "text": doc.text, "sentences": spans, "tags": tags, "scores": scores,
                "paragraphs": self._paragraphs(doc.text, spans),
                "keywords": self._keyword_spans(doc.text)}

    @staticmethod
    def _paragraphs(text: str, spans: list) -> list[dict]:
        """Each paragraph's span and the indices of the sentences starting in it."""
        paras = paragraph_spans(text)
        out = [{"start": a, "end": b, "sentences": []} for a, b in paras]
        k = 0
        for i, (start, _) in enumerate(spans):
            while k + 1 < len(paras) and start >= paras[k + 1][0]:
                k += 1
            out[k]["sentences"].append(i)
        return out

    def _keyword_spans(self, text: str) -> dict[str, list]:
        """Per tag, the [start, end] of each of its schema keywords in the text (bounded)."""
        out = {}
        for tag, pattern in self._keywords.items():
            found = []
            for m in pattern.finditer(text):
                found.append([m.start(), m.end()])
                if len(found) >= MAX_KEYWORD_SPANS:
                    break
            out[tag] = found
        return out

    @staticmethod
    def proposal(view: dict) -> dict | None:
        """What the model proposes for a document: its tags above threshold and the
        evidence sentence of each (None with no model)."""
        if not view["scores"]:
            return None
        model = [t for t in view["tags"] if t["model"]]
        return {"tags": [t["id"] for t in model],
                "evidence": {t["id"]: list(t["best"]) for t in model if t["best"]}}

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
        proposal = self.proposal(view)
        if answer == "skipped":
            tags, spans, no_evidence, accepted = (), (), (), ()
        else:
            answer = "adjudicated" if self.reviewing else "saved"
            tags, accepted = self._checked_tags(tags, accepted, none, proposal)
            spans, no_evidence = self._evidence(doc, tags, accepted, evidence, no_evidence,
                                                proposal)
        decision = Decision(doc_id=doc_id, annotator=annotator, answer=answer, tags=tags,
                            evidence=spans, no_evidence=no_evidence, model=self.fingerprint,
                            scores=view["scores"], origin=self.origin, accepted=accepted,
                            proposal=None if proposal is None else tuple(proposal["tags"]))
        with self.db.transaction() as con:
            stored = self.db.add(decision, con)
            release(con, annotator, tab)
        if self.refresher is not None and answer == "saved":
            self.refresher.changed()
        return stored

    def _checked_tags(self, tags, accepted, none: bool, proposal: dict | None):
        """The tags and accepted tags of a save, refused with the reason when they do not
        make one: nothing chosen (an untouched article stores nothing), 'no tag applies'
        with tags, an unknown tag, or an accepted tag the model did not propose."""
        if not all(isinstance(t, str) for t in [*tags, *accepted]):
            raise DecisionError("tags are names (strings)")
        tags, accepted = tuple(tags), tuple(accepted)
        if not tags and not none:
            raise DecisionError("no tag chosen and no proposal accepted: nothing was saved "
                                "(say 'read, no tag applies' (0) if none does)")
        if tags and none:
            raise DecisionError(f"'no tag applies' and {tags[0]} together: choose one")
        known = set(self.schema.ids)
        unknown = [t for t in tags if t not in known]
        if unknown:
            raise DecisionError(f"unknown tag {unknown[0]!r}")
        for t in accepted:
            if t not in tags:
                raise DecisionError(f"{t} is accepted but not among the tags saved")
            if proposal is None or t not in proposal["tags"]:
                raise DecisionError(f"{t} is accepted, but the model did not propose it "
                                    "for this article")
        return tags, accepted

    def _evidence(self, doc: Document, tags, accepted, evidence, no_evidence, proposal):
        """The evidence spans (read from the server's text) and the tags saved without
        any; an accepted tag with none given keeps the model's sentence, if it had one."""
        spans = [self._span(doc, e, set(tags)) for e in evidence]
        backed = {s["tag"] for s in spans}
        for t in accepted:
            if t not in backed and t not in no_evidence and t in proposal["evidence"]:
                start, end = proposal["evidence"][t]
                spans.append({"tag": t, "start": start, "end": end, "text": doc.text[start:end]})
                backed.add(t)
        missing = [t for t in tags if t not in backed and t not in no_evidence
                   and t not in accepted]
        if missing:
            raise DecisionError(f"{missing[0]} has no evidence: click the sentence that "
                                "earns it, or say it has none (n)")
        return tuple(spans), tuple(t for t in tags if t not in backed)

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
        return [d for d in self.db.current() if d.doc_id == doc_id and d.answer == "saved"]

    # -- going back: the history, opening by id, search ------------------------------------
    def history(self, annotator: str, limit: int = 20) -> list[dict]:
        """The annotator's decisions in force, newest first: per document the latest not
        undone (saved, skipped or adjudicated), of documents in this session."""
        rows = self.db.rows(
            "SELECT * FROM effective e WHERE annotator = ? AND answer IN ('saved', 'skipped', "
            "'adjudicated') AND NOT EXISTS (SELECT 1 FROM effective f WHERE f.doc_id = e.doc_id "
            "AND f.annotator = e.annotator AND f.seq > e.seq AND f.answer IN ('saved', "
            "'skipped', 'adjudicated')) ORDER BY seq DESC LIMIT ?",
            (annotator, max(1, min(int(limit), MAX_HISTORY))))
        out = []
        for r in rows:
            d = to_decision(r)
            if d.doc_id in self.by_id:
                out.append({"seq": d.seq, "id": d.doc_id, "title": self.by_id[d.doc_id].title,
                            "answer": d.answer, "tags": list(d.tags),
                            "accepted": None if d.accepted is None else list(d.accepted),
                            "created": d.created})
        return out

    def open_document(self, annotator: str, tab: str, doc_id: str) -> str:
        """Show this document in the tab (claimed for it), whatever the queue says: a
        decision on it is a new row in the log."""
        if doc_id not in self.by_id:
            raise DecisionError(f"no document {doc_id!r} in this session")
        with self.db.transaction() as con:
            hold(con, annotator, tab, doc_id)
        return doc_id

    def search(self, query: str, annotator: str | None = None,
               limit: int = 20) -> list[dict]:
        """Documents whose title or text holds every word of ``query`` (any case), titles
        matching first, each with a snippet around the first word and whether the
        annotator (anyone, when None) has labelled it."""
        words = [w.casefold() for w in str(query).split()][:MAX_QUERY_WORDS]
        if not words:
            return []
        limit = max(1, min(int(limit), MAX_RESULTS))
        if self._haystacks is None:  # built once: casefolded title and text
            self._haystacks = [(d.title.casefold(), d.text.casefold()) for d in self.docs]
        in_title, in_text = [], []
        for doc, (title, text) in zip(self.docs, self._haystacks):
            if all(w in title or w in text for w in words):
                (in_title if all(w in title for w in words) else in_text).append(doc)
                if len(in_title) >= limit:
                    break
        found = (in_title + in_text)[:limit]
        labelled = self._labelled(annotator, [d.id for d in found])
        return [{"id": d.id, "title": d.title, "snippet": _snippet(d.text, words[0]),
                 "labelled": d.id in labelled} for d in found]

    def _labelled(self, annotator: str | None, ids: list[str]) -> set:
        if not ids:
            return set()
        marks = ",".join("?" * len(ids))
        who, args = ("AND annotator = ?", [annotator]) if annotator else ("", [])
        rows = self.db.rows(f"SELECT DISTINCT doc_id FROM effective WHERE doc_id IN ({marks}) "
                            f"AND answer IN ('saved', 'adjudicated') {who}", [*ids, *args])
        return {r["doc_id"] for r in rows}

    # -- claims: a tab holds its article while it beats --------------------------------------
    def heartbeat(self, annotator: str, tab: str, doc_id: str | None = None) -> str | None:
        """Renew the tab's claim (taking ``doc_id`` again if its claim had lapsed and no
        other tab took it); returns the document the tab holds, None if none."""
        if doc_id is not None and doc_id not in self.by_id:
            raise DecisionError(f"no document {doc_id!r} in this session")
        with self.db.transaction() as con:
            return renew(con, annotator, tab, doc_id)

    def release(self, annotator: str, tab: str) -> None:
        """The tab closed: its article is free at once."""
        with self.db.transaction() as con:
            release(con, annotator, tab)


def _snippet(text: str, word: str) -> str:
    """About :data:`SNIPPET_CHARS` characters of ``text`` around ``word``'s first place."""
    at = max(text.casefold().find(word), 0)
    start = max(0, at - SNIPPET_CHARS // 3)
    piece = " ".join(text[start:start + SNIPPET_CHARS].split())
    return ("…" if start else "") + piece + ("…" if start + SNIPPET_CHARS < len(text) else "")
