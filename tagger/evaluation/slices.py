"""Scores by period and by source: the same decisions, cut into slices of documents."""

from __future__ import annotations

from ..errors import TaggerError
from ..registry import Registry

UNDATED = "undated"
NO_SOURCE = "(no source)"

# The slicings, by name: each (date, outlet) -> the slice a document falls in. ``dated``:
# a document with no date falls in the slice UNDATED.
SLICINGS: Registry = Registry("slicing", error=TaggerError)
SLICINGS.add("year", lambda date, outlet: date[:4], help="2024", dated=True)
SLICINGS.add("quarter", lambda date, outlet: f"{date[:4]}-Q{(int(date[5:7]) - 1) // 3 + 1}",
             help="2024-Q3", dated=True)
SLICINGS.add("month", lambda date, outlet: date[:7], help="2024-07", dated=True)
SLICINGS.add("source", lambda date, outlet: outlet or NO_SOURCE, help="the outlet",
             dated=False)


def check_slicing(kind: str | None) -> None:
    """Refuse an unknown slicing before any work is done (None: no slicing)."""
    if kind is not None:
        SLICINGS.entry(kind)


def slice_key(kind: str, date: str, outlet: str) -> str:
    """The slice a document falls in: ``2024``, ``2024-Q3``, ``2024-07`` or its outlet."""
    entry = SLICINGS.entry(kind)
    if entry.info["dated"] and not date:
        return UNDATED
    return entry.value(date, outlet)


def by_slice(ev, kind: str, *, n_boot: int | None = None) -> dict:
    """Per slice of ``ev``'s documents: ``{"n_docs", "micro", "macro", "per_tag"}``, each F1
    with its 95% bootstrap interval, slices in order (periods in time order, undated last).
    A slice with no tag to find and none given has no F1 (None)."""
    import numpy as np

    from ..model.metrics import score
    from ..model.bootstrap import add_intervals

    keys = [slice_key(kind, d, o) for d, o in zip(ev.dates, ev.outlets)]
    order = sorted(set(keys), key=lambda k: (k in (UNDATED, NO_SOURCE), k))
    out = {}
    for key in order:
        rows = np.array([i for i, k in enumerate(keys) if k == key])
        Y, P = ev.Y[rows], ev.P[rows]
        scored = score(Y, P, ev.tags)
        add_intervals(scored, Y, P, ev.tags, n_boot=n_boot or ev.n_boot, seed=ev.seed)
        if not Y.any() and not P.any():  # no tag to find and none given: F1 is undefined
            for avg in ("micro", "macro"):
                scored[avg].update(f1=None, f1_ci95=[None, None])
        out[key] = {"n_docs": int(len(rows)), "micro": scored["micro"], "macro": scored["macro"],
                    "per_tag": scored["per_tag"]}
    return out
