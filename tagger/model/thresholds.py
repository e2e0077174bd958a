"""Per-tag decision thresholds chosen on out-of-fold scores."""

from __future__ import annotations

import numpy as np


def best_threshold(y: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """(threshold, F1) maximising F1 for one tag, halfway to the next lower score."""
    from sklearn.metrics import precision_recall_curve

    if y.sum() == 0:
        return 0.5, 0.0
    precision, recall, thresholds = precision_recall_curve(y, scores)
    p, r = precision[:-1], recall[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    if f1.max() <= 0:
        return 0.5, 0.0
    best = int(np.argmax(f1))
    chosen = thresholds[best]
    below = scores[scores < chosen]
    # halfway to the next lower score, so a new document scoring just under the lowest
    # accepted training score is not cut off by an accident of the sample
    return (float((chosen + below.max()) / 2) if below.size else float(chosen)), float(f1[best])


def choose_thresholds(Y: np.ndarray, proba: np.ndarray, min_f1: float = 0.0) -> np.ndarray:
    """Per-tag F1-optimal thresholds; a tag whose best F1 is under ``min_f1`` keeps 0.5.

    The fallback (Yang's SCut.FBR) stops a tag with too little evidence from choosing a
    threshold so low that it tags everything.
    """
    return thresholds_with_fallback(Y, proba, min_f1)[0]


def thresholds_with_fallback(Y, proba, min_f1: float) -> tuple[np.ndarray, np.ndarray]:
    """(thresholds, which tags fell back to 0.5) — see :func:`choose_thresholds`."""
    out = np.empty(Y.shape[1])
    fell_back = np.zeros(Y.shape[1], dtype=bool)
    for k in range(Y.shape[1]):
        thr, f1 = best_threshold(Y[:, k], proba[:, k])
        fell_back[k] = f1 < min_f1
        out[k] = 0.5 if fell_back[k] else thr
    return out, fell_back


def cross_validated_decisions(Y: np.ndarray, proba: np.ndarray, splits, min_f1: float = 0.0
                              ) -> np.ndarray:
    """Decisions for each fold with thresholds chosen on the other folds only."""
    pred = np.zeros(Y.shape, dtype=np.int8)
    for train_idx, test_idx in splits:
        thr = choose_thresholds(Y[train_idx], proba[train_idx], min_f1)
        pred[test_idx] = proba[test_idx] >= thr
    return pred
