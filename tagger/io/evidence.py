"""Labels that carry their evidence: the sentences that earn each tag.

Two JSONL shapes, one object a line (both may be given with ``--labels``, beside CSVs):

- a label with evidence: ``{"id", "tags": [...], "evidence": {"tag": ["sentence", ...]}}``
  (``evidence`` optional; ``"tags": []`` means read, and no tag applies);
- evidence alone, for a label given elsewhere: ``{"id", "tag", "evidence": ["sentence", ...]}``,
  as in ``labels/*-evidence.jsonl``.

Each sentence is copied verbatim from the document (its title counts). Evidence is checked
where it enters (:func:`tagger.io.labels.attach_labels`): a sentence that does not occur in
its document, or evidence for a tag the label does not give, is an error naming the file
and line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..errors import LabelError
from .decoding import read_text_file

EVIDENCE_CAP = 256 * 2**20  # bytes of one label file


@dataclass
class LabelRows:
    """What one label file says: labels, evidence, and the line each came from."""

    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    evidence: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    evidence_lines: dict[tuple[str, str], int] = field(default_factory=dict)


def _strings(value, what: str, path: Path, line: int) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LabelError(path, f"{what} must be a list of non-empty strings", line=line)
    return tuple(value)


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
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not obj["id"].strip():
            raise LabelError(path, "expected an object with a string 'id'", line=line)
        doc_id = obj["id"].strip()
        if "tags" in obj:  # a label, maybe with evidence
            if doc_id in rows.labels:
                raise LabelError(path, f"duplicate id {doc_id!r}", line=line)
            tags = _strings(obj["tags"], "'tags'", path, line) if obj["tags"] else ()
            check_tags(tags, doc_id, known_tags, path, line)
            rows.labels[doc_id], rows.lines[doc_id] = tags, line
            evidence = obj.get("evidence", {})
            if not isinstance(evidence, dict):
                raise LabelError(path, "'evidence' must map tags to lists of sentences", line=line)
            items = list(evidence.items())
        elif "tag" in obj:  # evidence alone
            items = [(obj["tag"], obj.get("evidence"))]
        else:
            raise LabelError(path, "expected 'tags' (a label) or 'tag' (its evidence)", line=line)
        for tag, sentences in items:
            check_tags((tag,), doc_id, known_tags, path, line)
            key = (doc_id, tag)
            if key in rows.evidence:
                raise LabelError(path, f"evidence for {doc_id!r}, {tag!r} given twice", line=line)
            rows.evidence[key] = _strings(sentences, f"evidence for {tag!r}", path, line)
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
