"""Hand labels (CSV ``id,tags``) and attaching them to documents."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import InputError, LabelError
from ..io.decoding import read_text_file
from ..io.records import Document
from .database import is_database
from .jsonl import LabelRows, check_evidence, check_tags, read_jsonl_labels
from .tagschema import TagSchema


LABELS_CAP = 256 * 2**20  # bytes of one label file


def read_labels(path: str | Path, *, known_tags: Sequence[str] | None = None
                ) -> dict[str, tuple[str, ...]]:
    """Read a label CSV (``id,tags``; tags split by ';'; empty cell = read, no tag).

    Raises LabelError naming the line for an unknown tag or a duplicate id.
    """
    return _label_rows(Path(path), known_tags)[0]


def _label_rows(path: Path, known_tags: Sequence[str] | None
                ) -> tuple[dict[str, tuple[str, ...]], dict[str, int]]:
    """(labels, the physical line each id's record starts on)."""
    if not path.is_file():
        raise InputError(path, "does not exist")
    reader = csv.reader(io.StringIO(read_text_file(path, LABELS_CAP), newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise LabelError(path, f"malformed CSV ({exc})", line=1) from None
    if header is None or [h.strip().lstrip("\ufeff") for h in header[:2]] != ["id", "tags"]:
        raise LabelError(path, "must start with the header 'id,tags'", line=1)
    labels: dict[str, tuple[str, ...]] = {}
    lines: dict[str, int] = {}
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise LabelError(path, f"malformed CSV ({exc})", line=start) from None
        if row is None:
            break
        line, start = start, reader.line_num + 1
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) > 2:
            raise LabelError(path, f"expected 2 columns (id,tags), found {len(row)}", line=line)
        doc_id = row[0].strip()
        cell = row[1] if len(row) > 1 else ""
        if not doc_id:
            raise LabelError(path, "has an empty id", line=line)
        if doc_id in labels:
            raise LabelError(path, f"duplicate id {doc_id!r}", line=line)
        tags = tuple(t.strip() for t in cell.split(";") if t.strip())
        check_tags(tags, doc_id, known_tags, path, line)
        labels[doc_id] = tags
        lines[doc_id] = line
    return labels, lines


def attach_labels(docs: Sequence[Document], label_files: Sequence[str | Path], *,
                  known_tags: Sequence[str] | None = None) -> list[Document]:
    """Give documents the tags (and evidence) from label files: CSV ``id,tags``, or JSONL
    labels with evidence and evidence files (see :mod:`tagger.labels.jsonl`). Ids must
    exist in the data and be labelled once; evidence must occur in its document and back a
    tag its label gives.

    Documents without a label come back with ``tags=None`` (unlabelled). With no label
    files the documents keep the tags their own data carried.
    """
    if not label_files:
        if known_tags is not None:
            known = set(known_tags)
            for d in docs:
                for t in d.tags or ():
                    if t not in known:
                        raise LabelError(d.source, f"unknown tag {t!r} (known: {', '.join(known_tags)})",
                                         record=d.id)
        return list(docs)
    by_id = {d.id for d in docs}
    merged: dict[str, tuple[str, ...]] = {}
    origin: dict[str, str] = {}
    evidence: dict[tuple[str, str], tuple[str, ...]] = {}
    evidence_origin: dict[tuple[str, str], tuple[str, int]] = {}
    for lf in label_files:
        lf = Path(lf)
        rows = _read_label_file(lf, known_tags)
        for doc_id, tags in rows.labels.items():
            if doc_id in merged:
                raise LabelError(lf, f"id {doc_id!r} is labelled again (also in {origin[doc_id]})",
                                 line=rows.lines.get(doc_id))
            if doc_id not in by_id:
                raise LabelError(lf, f"id {doc_id!r} is not among the documents given",
                                 line=rows.lines.get(doc_id))
            merged[doc_id] = tags
            origin[doc_id] = str(lf)
        for key, sentences in rows.evidence.items():
            if key in evidence:
                raise LabelError(lf, f"evidence for {key[0]!r}, {key[1]!r} given again (also in "
                                     f"{evidence_origin[key][0]})", line=rows.evidence_lines[key])
            evidence[key] = sentences
            evidence_origin[key] = (str(lf), rows.evidence_lines[key])
    if evidence:
        check_evidence(evidence, evidence_origin, merged,
                       {d.id: d.content for d in docs if d.id in {k[0] for k in evidence}})
    per_doc: dict[str, list] = {}
    for (doc_id, tag), sentences in sorted(evidence.items()):
        per_doc.setdefault(doc_id, []).append((tag, sentences))
    return [replace(d, tags=merged.get(d.id), evidence=tuple(per_doc.get(d.id, ())))
            for d in docs]


def _read_label_file(path: Path, known_tags: Sequence[str] | None) -> LabelRows:
    """A label file by its suffix: CSV ``id,tags``, JSONL labels and evidence, or a label
    database (``.db``: see :mod:`tagger.labels.database`)."""
    if is_database(path):
        from .resolve import label_rows

        return label_rows(path, known_tags)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        if not path.is_file():
            raise InputError(path, "does not exist")
        return read_jsonl_labels(path, known_tags)
    labels, lines = _label_rows(path, known_tags)
    return LabelRows(labels=labels, lines=lines)


def labelled(docs: Iterable[Document]) -> list[Document]:
    """Only the documents that carry labels (an empty tag list counts as labelled)."""
    return [d for d in docs if d.tags is not None]


def tag_set(docs: Iterable[Document], schema: TagSchema | None = None) -> list[str]:
    """The schema's tags, or the sorted set of tags seen in the labels."""
    if schema is not None:
        return schema.ids
    return sorted({t for d in docs for t in (d.tags or ())})


def binarize(docs: Sequence[Document], tags: Sequence[str]):
    """Label matrix (n_docs x n_tags) of 0/1, via scikit-learn's MultiLabelBinarizer."""
    from sklearn.preprocessing import MultiLabelBinarizer

    mlb = MultiLabelBinarizer(classes=list(tags))
    return mlb.fit_transform([d.tags or () for d in docs])
