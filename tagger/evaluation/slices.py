"""Scores by period and by source: the same decisions, cut into slices of documents."""

from __future__ import annotations

SLICINGS = ("year", "quarter", "month", "source")
UNDATED = "undated"
NO_SOURCE = "(no source)"


def check_slicing(kind: str | None) -> None:
    """Refuse an unknown slicing before any work is done (None: no slicing)."""
    if kind is not None and kind not in SLICINGS:
        from ..errors import TaggerError

        raise TaggerError(f"unknown slicing {kind!r} (use {', '.join(SLICINGS)})")


def slice_key(kind: str, date: str, outlet: str) -> str:
    """The slice a document falls in: ``2024``, ``2024-Q3``, ``2024-07`` or its outlet."""
    if kind == "source":
        return outlet or NO_SOURCE
    if not date:
        return UNDATED
    if kind == "year":
        return date[:4]
    if kind == "quarter":
        return f"{date[:4]}-Q{(int(date[5:7]) - 1) // 3 + 1}"
    if kind == "month":
        return date[:7]
    raise ValueError(f"unknown slicing {kind!r} (use {', '.join(SLICINGS)})")


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
