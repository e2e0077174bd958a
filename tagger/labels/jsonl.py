"""Labels that carry their evidence: the sentences that earn each tag.

Two JSONL shapes, one object a line (both may be given with ``--labels``, beside CSVs):

- a label with evidence: ``{"id", "tags": [...], "evidence": {"tag": ["sentence", ...]}}``
  (``evidence`` optional; ``"tags": []`` means read, and no tag applies);
- evidence alone, for a label given elsewhere: ``{"id", "tag", "evidence": ["sentence", ...]}``,
  as in ``labels/*-evidence.jsonl``.

Each sentence is copied verbatim from the document (its title counts). Evidence is checked
where it enters (:func:`tagger.labels.attach.attach_labels`): a sentence that does not occur in
its document, or evidence for a tag the label does not give, is an error naming the file
and line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, Sequence

import msgspec

from ..errors import LabelError
from ..io.decoding import read_text_file
from ..structs import Invalid, convert, fits

EVIDENCE_CAP = 256 * 2**20  # bytes of one label file


@dataclass
class LabelRows:
    """What one label file says: labels, evidence, and the line each came from."""

    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    evidence: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    evidence_lines: dict[tuple[str, str], int] = field(default_factory=dict)


# The two shapes of a line, declared (keys not named here are passed over, as before).
NonBlank = Annotated[str, msgspec.Meta(pattern=r"\S")]


class LabelLine(msgspec.Struct):
    """A label, maybe with evidence: ``"tags": []`` (or null, or "") means read, no tag
    applies."""

    id: NonBlank
    tags: list[NonBlank] | Literal[""] | None
    evidence: dict[str, list[NonBlank]] = {}


class EvidenceLine(msgspec.Struct):
    """Evidence alone, for a label given elsewhere."""

    id: NonBlank
    tag: str
    evidence: list[NonBlank]


def _line(obj, known_tags: Sequence[str] | None, path: Path, line: int
          ) -> LabelLine | EvidenceLine:
    """One parsed line as its shape (by the keys it has); LabelError says what is wrong."""
    shape = (LabelLine if isinstance(obj, dict) and "tags" in obj
             else EvidenceLine if isinstance(obj, dict) and "tag" in obj else None)
    doc_id = obj.get("id") if isinstance(obj, dict) else None
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise LabelError(path, "expected an object with a string 'id'", line=line)
    if shape is None:
        raise LabelError(path, "expected 'tags' (a label) or 'tag' (its evidence)", line=line)
    try:
        return convert(obj, shape)
    except Invalid:
        raise LabelError(path, _mistake(obj, known_tags, path, line), line=line) from None


def _mistake(obj: dict, known_tags, path: Path, line: int) -> str:
    """What is wrong with a line's object that did not fit its shape, in the label file's
    words, found in the order the checks after conversion go (an unknown tag first)."""
    doc_id = obj["id"].strip()
    if "tags" not in obj:  # evidence alone
        check_tags((obj["tag"],), doc_id, known_tags, path, line)
        return f"evidence for {obj['tag']!r} must be a list of non-empty strings"
    if not fits(obj["tags"], list[NonBlank] | Literal[""] | None):
        return "'tags' must be a list of non-empty strings"
    check_tags(tuple(obj["tags"] or ()), doc_id, known_tags, path, line)
    evidence = obj.get("evidence")
    if isinstance(evidence, dict):
        for tag, sentences in evidence.items():  # msgspec does not say which key: find it
            check_tags((tag,), doc_id, known_tags, path, line)
            if not fits(sentences, list[NonBlank]):
                return f"evidence for {tag!r} must be a list of non-empty strings"
    return "'evidence' must map tags to lists of sentences"


def check_tags(tags, doc_id: str, known_tags: Sequence[str] | None, path: Path, line: int) -> None:
    """One label's tags are known (when a tag set is given), and each is listed once."""
    for t in tags:
        if not isinstance(t, str) or (known_tags is not None and t not in known_tags):
            known = f" (known: {', '.join(known_tags)})" if known_tags is not None else ""
            raise LabelError(path, f"unknown tag {t!r}{known}", line=line)
    if len(set(tags)) != len(tags):
        raise LabelError(path, f"tag listed twice for {doc_id!r}", line=line)


def read_jsonl_labels(path: Path, known_tags: Sequence[str] | None) -> LabelRows:
    """Labels and evidence from a JSONL label or evidence file."""
    rows = LabelRows()
    for line, raw in enumerate(read_text_file(path, EVIDENCE_CAP).splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise LabelError(path, f"malformed JSON ({getattr(exc, 'msg', 'nested too deep')})",
                             line=line) from None
        entry = _line(obj, known_tags, path, line)
        doc_id = entry.id.strip()
        if isinstance(entry, LabelLine):  # a label, maybe with evidence
            if doc_id in rows.labels:
                raise LabelError(path, f"duplicate id {doc_id!r}", line=line)
            tags = tuple(entry.tags or ())
            check_tags(tags, doc_id, known_tags, path, line)
            rows.labels[doc_id], rows.lines[doc_id] = tags, line
            items = list(entry.evidence.items())
        else:  # evidence alone
            items = [(entry.tag, entry.evidence)]
        for tag, sentences in items:
            check_tags((tag,), doc_id, known_tags, path, line)
            key = (doc_id, tag)
            if key in rows.evidence:
                raise LabelError(path, f"evidence for {doc_id!r}, {tag!r} given twice", line=line)
            rows.evidence[key] = tuple(sentences)
            rows.evidence_lines[key] = line
    return rows


def check_evidence(evidence: dict, origin: dict, tags: dict[str, tuple[str, ...]],
                   content: dict[str, str]) -> None:
    """Every sentence occurs in its document, and backs a tag the document's label gives.

    ``origin`` maps each (id, tag) to the (file, line) it came from."""
    for (doc_id, tag), sentences in evidence.items():
        path, line = origin[(doc_id, tag)]
        if doc_id not in content:
            raise LabelError(path, f"evidence for id {doc_id!r}, which is not among the "
                                   "documents given", line=line)
        if tag not in (tags.get(doc_id) or ()):
            raise LabelError(path, f"evidence for tag {tag!r}, which the label of {doc_id!r} "
                                   "does not give", line=line)
        for s in sentences:
            if s not in content[doc_id]:
                shown = s if len(s) <= 60 else s[:57] + "..."
                raise LabelError(path, f"evidence sentence {shown!r} does not occur in document "
                                       f"{doc_id!r}", line=line)
