"""Percentile bootstrap intervals for F1 scores, and for the difference between two sets
of decisions on the same documents (paired: each resample scores both)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .metrics import f1_from_counts, round4


def _weights(n: int, n_boot: int, seed: int) -> np.ndarray:
    """``n_boot`` resamples of n documents with replacement, as per-document weights
    (a fixed seed makes them reproducible)."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)  # (B, n)


def _f1s(W: np.ndarray, Y: np.ndarray, P: np.ndarray) -> tuple:
    """Micro-F1, macro-F1 and each tag's F1 of decisions P under each row of weights W."""
    Y = np.asarray(Y, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    tp, fp, fn = W @ (Y * P), W @ ((1 - Y) * P), W @ (Y * (1 - P))  # (B, n_tags)
    per_tag = f1_from_counts(tp, fp, fn)
    micro = f1_from_counts(tp.sum(1), fp.sum(1), fn.sum(1))
    # a tag absent from a resample has no defined F1; score it as scikit-learn does (0)
    return micro, per_tag.mean(axis=1), per_tag


def _interval(x: np.ndarray, level: float) -> list[float]:
    a, b = np.percentile(x, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
    return [round4(a), round4(b)]


def bootstrap_intervals(Y: np.ndarray, P: np.ndarray, tags: Sequence[str], *, n_boot: int = 1000,
                        seed: int = 0, level: float = 0.95) -> dict:
    """Percentile bootstrap intervals for micro-F1, macro-F1 and each tag's F1.

    Documents are resampled with replacement ``n_boot`` times; each resample is a vector
    of per-document weights, so all resamples are scored in a few matrix products.
    """
    micro, macro, per_tag = _f1s(_weights(len(Y), n_boot, seed), Y, P)
    return {"level": level, "n_boot": n_boot, "seed": seed,
            "micro_f1": _interval(micro, level), "macro_f1": _interval(macro, level),
            "per_tag_f1": {t: _interval(per_tag[:, k], level) for k, t in enumerate(tags)}}


def paired_differences(Y: np.ndarray, P_new: np.ndarray, P_old: np.ndarray, tags: Sequence[str],
                       *, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> dict:
    """The difference (new - old) of micro-F1, macro-F1 and each tag's F1 between two sets
    of decisions on the same documents, with its paired percentile bootstrap interval:
    each resample of the documents scores both, so what the documents share cancels out.

    Each entry is ``{"new", "old", "difference", "ci95", "new_better_share"}``: the F1s on
    all the documents, their difference, its interval, and the share of resamples in which
    the new decisions score higher."""
    W = _weights(len(Y), n_boot, seed)
    full = np.ones((1, len(Y)))
    new, old = _f1s(W, Y, P_new), _f1s(W, Y, P_old)
    new_all, old_all = _f1s(full, Y, P_new), _f1s(full, Y, P_old)

    def entry(a, b, a_all, b_all) -> dict:
        d = a - b
        return {"new": round4(a_all[0]), "old": round4(b_all[0]),
                "difference": round4(a_all[0] - b_all[0]), "ci95": _interval(d, level),
                "new_better_share": round4(np.mean(d > 0))}

    return {"level": level, "n_boot": n_boot, "seed": seed,
            "micro_f1": entry(new[0], old[0], new_all[0], old_all[0]),
            "macro_f1": entry(new[1], old[1], new_all[1], old_all[1]),
            "per_tag_f1": {t: entry(new[2][:, k], old[2][:, k], new_all[2][:, k], old_all[2][:, k])
                           for k, t in enumerate(tags)}}


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
    d = paired_differences(Y, P_new, P_old, tags, n_boot=n_boot, seed=seed, level=level)

    def cell(e: dict) -> list:
        return [e["difference"], *e["ci95"]]

    return {"micro_f1": cell(d["micro_f1"]), "macro_f1": cell(d["macro_f1"]),
            "per_tag_f1": {t: cell(e) for t, e in d["per_tag_f1"].items()}}
