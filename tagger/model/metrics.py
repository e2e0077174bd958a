"""F1 scores of tag decisions: how training picks settings and evaluation reports them."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def score(Y: np.ndarray, P: np.ndarray, tags: Sequence[str]) -> dict:
    """``{"n_docs", "micro", "macro", "per_tag"}`` for true labels Y and decisions P."""
    from sklearn.metrics import precision_recall_fscore_support

    per = precision_recall_fscore_support(Y, P, average=None, zero_division=0)
    out = {"n_docs": int(len(Y))}
    for avg in ("micro", "macro"):
        p, r, f, _ = precision_recall_fscore_support(Y, P, average=avg, zero_division=0)
        out[avg] = {"precision": round4(p), "recall": round4(r), "f1": round4(f)}
    out["per_tag"] = {
        tag: {"precision": round4(per[0][k]), "recall": round4(per[1][k]), "f1": round4(per[2][k]),
              "support": int(per[3][k])}
        for k, tag in enumerate(tags)
    }
    return out


def round4(x) -> float:
    return round(float(x), 4)


def f1_from_counts(tp, fp, fn):
    """F1 from true-positive, false-positive and false-negative counts (0 where undefined)."""
    tp, fp, fn = (np.asarray(x, dtype=np.float64) for x in (tp, fp, fn))
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.zeros_like(denom), where=denom > 0)
