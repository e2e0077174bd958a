"""From the label database to one label per document, and back: export, import, training.

A document's label is its adjudicated label when there is one; else the label its
annotators agree on (their evidence pooled); a document whose annotators disagree and
that nobody adjudicated has no label yet (it is listed, never guessed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..errors import InputError
from ..io.files import check_output, write_text_atomic
from ..io.records import Document
from .database import Decision, LabelDB, check_decision, to_decision
from .jsonl import LabelRows, check_tags

ORIGIN_CHARS = 1000  # of a decision's origin: 'import' and the files' names


@dataclass
class Resolved:
    """One label per document, with its evidence, and the documents still in dispute."""

    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    evidence: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # id -> tag -> sentences
    disputed: list[str] = field(default_factory=list)
    adjudicated: int = 0
    accepted_left_out: int = 0  # own_only: decisions left out for holding accepted proposals
    unrecorded: int = 0         # own_only: decisions kept from before accepted was recorded


def _evidence(decisions: Sequence[Decision]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in decisions:
        for e in d.evidence:
            sentences = out.setdefault(e["tag"], [])
            if e["text"] not in sentences:
                sentences.append(e["text"])
    return out


def disagreements(current: Sequence[Decision]) -> dict[str, list[Decision]]:
    """Documents whose annotators saved different tag sets, with each one's decision."""
    by_doc: dict[str, list[Decision]] = {}
    for d in current:
        if d.answer == "saved":
            by_doc.setdefault(d.doc_id, []).append(d)
    return {k: v for k, v in by_doc.items() if len({frozenset(d.tags) for d in v}) > 1}


def resolve(db: LabelDB, *, annotator: str | None = None, own_only: bool = False) -> Resolved:
    """Each document's label now (only ``annotator``'s own, when given).

    ``own_only``: only decisions in which the annotator accepted none of the model's
    proposed tags unchanged (a document whose adjudication accepted one is left out; one
    whose annotators agree keeps the decisions of those who chose for themselves).
    Decisions stored before this was recorded (label database version 1) are kept, and
    counted in ``unrecorded``."""
    out = Resolved()
    adjudicated = {} if annotator else db.adjudications()
    saved: dict[str, list[Decision]] = {}
    for d in db.current(annotator):
        if d.answer == "saved" and _kept(d, own_only, out):
            saved.setdefault(d.doc_id, []).append(d)
    for doc_id in sorted(set(saved) | set(adjudicated)):
        if doc_id in adjudicated:
            if not _kept(adjudicated[doc_id], own_only, out):
                continue
            chosen = [adjudicated[doc_id]]
            out.adjudicated += 1
        else:
            chosen = saved[doc_id]
            if len({frozenset(d.tags) for d in chosen}) > 1:
                out.disputed.append(doc_id)
                continue
        out.labels[doc_id] = tuple(chosen[0].tags)
        out.evidence[doc_id] = _evidence(chosen)
    return out


def _kept(d: Decision, own_only: bool, out: Resolved) -> bool:
    if not own_only:
        return True
    if d.accepted is None:
        out.unrecorded += 1
        return True
    if d.accepted:
        out.accepted_left_out += 1
        return False
    return True


def label_rows(path: str | Path, known_tags: Sequence[str] | None) -> LabelRows:
    """A label database read as a label file (for ``--labels labels.db``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "does not exist")
    resolved = resolve(LabelDB(path, create=False))
    rows = LabelRows()
    for doc_id, tags in resolved.labels.items():
        check_tags(tags, doc_id, known_tags, path, None)
        rows.labels[doc_id] = tags
        for tag, sentences in resolved.evidence[doc_id].items():
            rows.evidence[(doc_id, tag)] = tuple(sentences)
            rows.evidence_lines[(doc_id, tag)] = None
    return rows


EXPORT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}  # by file suffix
EXPORT_MEDIA_TYPES = {"jsonl": "application/x-ndjson; charset=utf-8",     # over HTTP
                      "csv": "text/csv; charset=utf-8"}


def export_text(db: LabelDB, fmt: str, *, annotator: str | None = None,
                own_only: bool = False) -> tuple[str, Resolved]:
    """One label per document as text: JSONL labels with their evidence (``jsonl``) or CSV
    ``id,tags`` (``csv``); with what was written (see :func:`resolve`)."""
    resolved = resolve(db, annotator=annotator, own_only=own_only)
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["id", "tags"])
        for doc_id, tags in resolved.labels.items():
            writer.writerow([doc_id, ";".join(tags)])
        return buf.getvalue(), resolved
    lines = []
    for doc_id, tags in resolved.labels.items():
        obj = {"id": doc_id, "tags": list(tags)}
        if resolved.evidence[doc_id]:
            obj["evidence"] = resolved.evidence[doc_id]
        lines.append(json.dumps(obj, ensure_ascii=False) + "\n")
    return "".join(lines), resolved


def export_labels(db: LabelDB, out: str | Path, *, annotator: str | None = None,
                  fmt: str | None = None, own_only: bool = False) -> Resolved:
    """Write one label per document to ``out``, atomically: JSONL labels with their
    evidence (``.jsonl``), or CSV ``id,tags`` (``.csv``). Returns what was written."""
    out = Path(out)
    fmt = fmt or EXPORT_FORMATS.get(out.suffix.lower())
    if fmt not in ("csv", "jsonl"):
        raise InputError(out, "labels are exported as .jsonl (with evidence) or .csv (id,tags)")
    check_output(out, inputs=[db.path])
    text, resolved = export_text(db, fmt, annotator=annotator, own_only=own_only)
    write_text_atomic(out, text)
    return resolved


def spans(doc: Document, tag: str, sentences: Sequence[str]) -> list[dict]:
    """Evidence sentences as spans of the document's text (start and end None for a
    sentence of the title)."""
    out = []
    for s in sentences:
        at = doc.text.find(s)
        out.append({"tag": tag, "start": at if at >= 0 else None,
                    "end": at + len(s) if at >= 0 else None, "text": s})
    return out


@dataclass(frozen=True)
class Imported:
    """What an import did: decisions added (and how many carry evidence), and labels that
    were stored already, unchanged, so nothing was added for them."""

    labels: int = 0
    with_evidence: int = 0
    already: int = 0


def import_decisions(docs: Sequence[Document], *, origin: str,
                     annotator: str = "import") -> list[Decision]:
    """The decisions storing the labels the documents carry, each checked (DecisionError)."""
    out = []
    for doc in docs:
        if doc.tags is None:
            continue
        evidence = tuple(e for tag, sentences in doc.evidence for e in spans(doc, tag, sentences))
        given = {e["tag"] for e in evidence}
        decision = Decision(doc_id=doc.id, annotator=annotator, answer="saved", tags=doc.tags,
                            evidence=evidence, no_evidence=tuple(t for t in doc.tags
                                                                 if t not in given),
                            origin=origin)
        check_decision(decision)
        out.append(decision)
    return out


def store_decisions(db: LabelDB, decisions: Sequence[Decision]) -> Imported:
    """Append checked ``saved`` decisions in one transaction, but none whose label its
    annotator has in force already, unchanged."""
    who = sorted({d.annotator for d in decisions})
    with db.transaction() as con:  # the labels in force of the annotators imported, only
        before = {(r["doc_id"], r["annotator"]): to_decision(r) for r in con.execute(
            f"SELECT * FROM current_labels WHERE annotator IN ({','.join('?' * len(who))})", who)}
        new = [d for d in decisions if not _stored(before.get((d.doc_id, d.annotator)), d)]
        for d in new:
            db.add(d, con)
    return Imported(labels=len(new), with_evidence=sum(1 for d in new if d.evidence),
                    already=len(decisions) - len(new))


def _stored(old: Decision | None, new: Decision) -> bool:
    return (old is not None and old.answer == "saved" and old.tags == new.tags
            and old.evidence == new.evidence)


def import_labels(db: LabelDB, docs: Sequence[Document], *, origin: str,
                  annotator: str = "import") -> int:
    """Store the labels the documents carry (from label files) as decisions of
    ``annotator``, all in one transaction: every decision is checked before any is
    written, and any error leaves the database as it was. A document whose label is
    stored already, unchanged, is left alone, so importing twice adds nothing. Returns
    how many decisions were added."""
    return store_decisions(db, import_decisions(docs, origin=origin, annotator=annotator)).labels


def import_origin(label_files: Sequence[str | Path]) -> str:
    """A decision's origin for an import of these files (bounded: many files, long names)."""
    origin = "import " + " ".join(str(f) for f in label_files)
    return origin if len(origin) <= ORIGIN_CHARS else origin[:ORIGIN_CHARS - 3] + "..."


def import_labelled(db_path: str | Path, docs: Sequence[Document], *, origin: str,
                    annotator: str = "import") -> Imported:
    """Import the labels ``docs`` carry (attached from label files, all of them read and
    checked together by :func:`tagger.labels.attach.attach_labels`) into the database at
    ``db_path``. It is opened, or created, only once every decision has been checked, and
    written in one transaction, so an error leaves it byte for byte as it was (or absent)."""
    decisions = import_decisions(docs, origin=origin, annotator=annotator)
    if not decisions:
        return Imported()
    return store_decisions(LabelDB(db_path), decisions)
