"""Percentile bootstrap intervals for F1 scores."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .metrics import f1_from_counts, round4


def bootstrap_intervals(Y: np.ndarray, P: np.ndarray, tags: Sequence[str], *, n_boot: int = 1000,
                        seed: int = 0, level: float = 0.95) -> dict:
    """Percentile bootstrap intervals for micro-F1, macro-F1 and each tag's F1.

    Documents are resampled with replacement ``n_boot`` times (a fixed seed makes the
    intervals reproducible); each resample is a vector of per-document weights, so all
    resamples are scored in a few matrix products.
    """
    Y = np.asarray(Y, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    n = len(Y)
    rng = np.random.default_rng(seed)
    W = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)  # (B, n)
    tp, fp, fn = W @ (Y * P), W @ ((1 - Y) * P), W @ (Y * (1 - P))  # (B, n_tags)
    per_tag = f1_from_counts(tp, fp, fn)
    micro = f1_from_counts(tp.sum(1), fp.sum(1), fn.sum(1))
    # a tag absent from a resample has no defined F1; score it as scikit-learn does (0)
    macro = per_tag.mean(axis=1)
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100

    def interval(x):
        a, b = np.percentile(x, [lo, hi])
        return [round4(a), round4(b)]

    return {"level": level, "n_boot": n_boot, "seed": seed,
            "micro_f1": interval(micro), "macro_f1": interval(macro),
            "per_tag_f1": {t: interval(per_tag[:, k]) for k, t in enumerate(tags)}}


def add_intervals(scored: dict, Y: np.ndarray, P: np.ndarray, tags: Sequence[str], *,
                  n_boot: int = 1000, seed: int = 0) -> dict:
    """Give a score dict (:func:`tagger.model.metrics.score`) its 95% intervals: micro,
    macro and each tag's ``f1_ci95``, in place; returns the intervals themselves."""
    ci = bootstrap_intervals(Y, P, tags, n_boot=n_boot, seed=seed)
    scored["micro"]["f1_ci95"], scored["macro"]["f1_ci95"] = ci["micro_f1"], ci["macro_f1"]
    for tag in tags:
        scored["per_tag"][tag]["f1_ci95"] = ci["per_tag_f1"][tag]
    return ci


def paired_difference(Y: np.ndarray, P_new: np.ndarray, P_old: np.ndarray, tags: Sequence[str], *,
                      n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> dict:
    """New minus old F1 on the same documents, with percentile bootstrap intervals: micro,
    macro and each tag's ``[difference, low, high]``. Both are scored on the same resamples
    (the pairing), so the interval reflects the documents they disagree on."""
    Y = np.asarray(Y, dtype=np.float64)
    n = len(Y)
    rng = np.random.default_rng(seed)
    W = np.vstack([np.ones(n), rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot)])
    out = []
    for P in (P_new, P_old):
        P = np.asarray(P, dtype=np.float64)
        tp, fp, fn = W @ (Y * P), W @ ((1 - Y) * P), W @ (Y * (1 - P))  # (1 + B, n_tags)
        per_tag = f1_from_counts(tp, fp, fn)
        out.append(np.column_stack([f1_from_counts(tp.sum(1), fp.sum(1), fn.sum(1)),
                                    per_tag.mean(axis=1), per_tag]))
    d = out[0] - out[1]  # row 0: the documents as given; the others: resamples
    lo, hi = np.percentile(d[1:], [(1 - level) / 2 * 100, (1 + level) / 2 * 100], axis=0)
    cell = [[round4(d[0, j]), round4(lo[j]), round4(hi[j])] for j in range(d.shape[1])]
    return {"micro_f1": cell[0], "macro_f1": cell[1],
            "per_tag_f1": {t: cell[2 + k] for k, t in enumerate(tags)}}
