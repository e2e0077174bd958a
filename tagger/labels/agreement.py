"""How far annotators agree: per tag Cohen's kappa and F1 over the documents both labelled;
and how far each follows the model: the share of their tags accepted from its proposal
unchanged, and their agreement with its proposals."""

from __future__ import annotations

from collections import Counter
from itertools import combinations
from typing import Sequence

import numpy as np

from .database import Decision, LabelDB
from .resolve import disagreements


def _kappa(a: np.ndarray, b: np.ndarray) -> float | None:
    """Cohen's kappa of two 0/1 columns (scikit-learn's); None when it is undefined (both
    annotators gave one same answer to every document: chance agreement is total)."""
    from sklearn.metrics import cohen_kappa_score

    if len(a) == 0 or (a.min() == a.max() == b.min() == b.max()):
        return None
    return float(cohen_kappa_score(a, b))


def _f1(a: np.ndarray, b: np.ndarray) -> float | None:
    """F1 of one annotator against the other (symmetric); None when neither gave the tag."""
    total = int(a.sum() + b.sum())
    return None if total == 0 else float(2 * (a & b).sum() / total)


def agreement(db: LabelDB, tags: Sequence[str] | None = None) -> dict:
    """Counts per annotator, per-tag kappa and F1 for each pair of annotators and over all
    pairs pooled, and the documents on which annotators disagree."""
    log = db.log()
    current = db.current()
    counts: dict[str, Counter] = {}
    for d in log:
        counts.setdefault(d.annotator, Counter())[d.answer] += 1
    in_force = Counter(d.annotator for d in current if d.answer == "saved")
    saved: dict[str, dict[str, set]] = {}
    for d in current:
        if d.answer == "saved":
            saved.setdefault(d.annotator, {})[d.doc_id] = set(d.tags)
    tags = list(tags) if tags is not None else sorted({t for by in saved.values()
                                                       for ts in by.values() for t in ts})
    pairs, pooled_a, pooled_b = [], [], []
    for x, y in combinations(sorted(saved), 2):
        both = sorted(set(saved[x]) & set(saved[y]))
        if not both:
            continue
        a = np.array([[t in saved[x][d] for t in tags] for d in both], dtype=bool).reshape(len(both), len(tags))
        b = np.array([[t in saved[y][d] for t in tags] for d in both], dtype=bool).reshape(len(both), len(tags))
        pooled_a.append(a)
        pooled_b.append(b)
        pairs.append({"annotators": [x, y], "n_docs": len(both), "per_tag": _per_tag(a, b, tags)})
    pooled = None
    if pairs:
        a, b = np.vstack(pooled_a), np.vstack(pooled_b)
        pooled = {"n_docs": len(a), "per_tag": _per_tag(a, b, tags)}
    adjudicated = db.adjudications()
    disputed = [{"id": doc_id, "adjudicated": doc_id in adjudicated,
                 "labels": {d.annotator: list(d.tags) for d in ds}}
                for doc_id, ds in sorted(disagreements(current).items())]
    return {"tags": tags,
            "annotators": {name: {"labelled": in_force[name], "saved": c["saved"],
                                  "skipped": c["skipped"], "undone": c["undone"],
                                  "adjudicated": c["adjudicated"]}
                           for name, c in sorted(counts.items())},
            "pairs": pairs, "pooled": pooled, "disagreements": disputed,
            "model": with_model([*current, *adjudicated.values()], tags)}


def with_model(decisions: Sequence[Decision], tags: Sequence[str]) -> dict:
    """Per annotator, over their decisions in force: ``accepted_share``, the share of the
    tags they gave that were the model's proposal accepted unchanged (over the decisions
    that recorded it: label database version 2 on; older ones are counted as
    ``unrecorded``); ``proposals_accepted``, the share of the tags proposed to them that
    they accepted; and per tag kappa and F1 of their tags against the model's proposal,
    over the decisions made with one shown (``with_proposal``)."""
    out = {}
    by: dict[str, list] = {}
    for d in decisions:
        if d.answer in ("saved", "adjudicated"):
            by.setdefault(d.annotator, []).append(d)
    for name, ds in sorted(by.items()):
        known = [d for d in ds if d.accepted is not None]
        shown = [d for d in known if d.proposal is not None]
        given = sum(len(d.tags) for d in known)
        proposed = sum(len(d.proposal) for d in shown)
        accepted = sum(len(d.accepted) for d in known)
        entry = {"decisions": len(known), "unrecorded": len(ds) - len(known),
                 "with_proposal": len(shown), "tags_given": given, "accepted": accepted,
                 "accepted_share": accepted / given if given else None,
                 "proposals_accepted": accepted / proposed if proposed else None,
                 "per_tag": None}
        if shown:
            a = np.array([[t in d.tags for t in tags] for d in shown], dtype=bool).reshape(len(shown), len(tags))
            b = np.array([[t in d.proposal for t in tags] for d in shown], dtype=bool).reshape(len(shown), len(tags))
            entry["per_tag"] = _per_tag(a, b, tags)
        out[name] = entry
    return out


def _per_tag(a: np.ndarray, b: np.ndarray, tags: Sequence[str]) -> dict:
    return {t: {"kappa": _kappa(a[:, k].astype(int), b[:, k].astype(int)), "f1": _f1(a[:, k], b[:, k]),
                "both": int((a[:, k] & b[:, k]).sum()), "only_first": int((a[:, k] & ~b[:, k]).sum()),
                "only_second": int((~a[:, k] & b[:, k]).sum())}
            for k, t in enumerate(tags)}
