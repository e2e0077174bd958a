"""Do new documents look like the training documents? The drift figures of a batch against
the model's own (see :mod:`tagger.model.drift`), and the warning when they pass the bounds.

The bounds below were chosen from measurements (``python benchmarks/drift.py``): held-out
2022 articles against a model trained on 2022 stay well inside them; the 2023-2025 corpora
pass the unseen-word bound, against that model and against the shipped one.
"""

from __future__ import annotations

from ..model.drift import NEAR_LOGIT, DriftCounts

# New documents whose share of word tokens found in no training document is this many
# times the training documents' own share (each fifth against the other four) are unlike
# them. Measured (benchmarks/drift.py, slices of 259): held-out 2022 articles 0.79-0.97
# against a model trained on 2022; the 2023-2025 Economist 1.88 and news 1.68 against it,
# and the news 1.58 against the shipped model.
UNSEEN_RATIO = 1.3
# A tag given this many times more (or less) often than on the training documents, and
# more than chance allows (a two-sided binomial test against the training rate at RATE_P).
# Rates are smoothed by RATE_FLOOR, so a rare tag's few documents cannot swing the ratio.
# Slices of 2022 articles measure 0.65-1.15 (a topic's share moves month to month); the
# 2023-2025 corpora 0.60-1.68: a tag rate alone is weak evidence, so its bound is wide.
RATE_RATIO = 2.0
RATE_FLOOR = 0.02
RATE_P = 0.001
# The share of documents scored close to a threshold, against the training documents'
# (measured 0.81-1.10 everywhere).
NEAR_RATIO = 1.5
# Fewer documents than this and the figures are reported but never warned on.
MIN_DOCUMENTS = 100

BOUNDS = {"unseen_ratio": UNSEEN_RATIO, "tag_rate_ratio": RATE_RATIO,
          "tag_rate_floor": RATE_FLOOR, "tag_rate_p": RATE_P, "near_ratio": NEAR_RATIO,
          "near_logit": NEAR_LOGIT, "min_documents": MIN_DOCUMENTS}

ADVICE = ("these documents are unlike the model's training documents, so its scores on them "
          "are less reliable; label some of them (tagger suggest picks which) and retrain")


def _ratio(a: float, b: float) -> float:
    return round(a / b, 4) if b > 0 else (1.0 if a == 0 else float("inf"))


EXACT_UP_TO = 1_000_000  # documents; beyond, the normal approximation


def binomial_p(k: int, n: int, p: float) -> float:
    """Two-sided p-value of k documents of n given a tag whose training rate is p: the
    exact test (as scipy.stats.binomtest: the chance of every outcome no more likely than
    k), without importing scipy.stats (over a second of every `tagger tag` run)."""
    if n == 0:
        return 1.0
    import numpy as np

    p = min(max(p, 1e-12), 1 - 1e-12)
    if n > EXACT_UP_TO:
        import math

        z = (abs(k - n * p) - 0.5) / math.sqrt(n * p * (1 - p))
        return round(min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2))), 6)
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1, dtype=np.float64)))])
    i = np.arange(n + 1)
    log_pmf = log_fact[n] - log_fact[i] - log_fact[n - i] + i * np.log(p) + (n - i) * np.log1p(-p)
    pmf = np.exp(log_pmf - log_pmf.max())
    total = pmf.sum()
    return round(float(min(1.0, pmf[pmf <= pmf[k] * (1 + 1e-7)].sum() / total)), 6)


def drift_report(model, counts: DriftCounts) -> dict:
    """The drift figures of the documents behind ``counts``, the training documents'
    figures beside them, and ``warning``: did any pass its bound (see :data:`BOUNDS`)?"""
    base = model.metadata.get("drift")
    n = counts.documents
    report: dict = {"warning": False, "documents": n, "reasons": []}
    if not base:
        report["available"] = False
        report["reasons"] = ["the model records no training figures to compare with "
                             "(it was trained before they were kept): retrain it"]
        return report
    unseen = counts.unseen / counts.tokens if counts.tokens else 0.0
    near = counts.near / n if n else 0.0
    report.update({
        "available": True,
        "unseen_share": round(unseen, 6), "training_unseen_share": base["unseen_share"],
        "unseen_ratio": _ratio(unseen, base["unseen_share"]),
        "near_share": round(near, 6), "training_near_share": base["near_share"],
        "near_ratio": _ratio(near, base["near_share"]),
        "tag_rates": {},
        "bounds": dict(BOUNDS),
    })
    reasons = []
    # Out-of-fold rates of the labelled documents run higher than a model's rates on new
    # ones (thresholds chosen for F1; labels often chosen, not drawn): shown, not warned on.
    comparable = base.get("rates_from") == "unlabelled"
    report["tag_rates_compared"] = comparable
    for k, tag in enumerate(model.tags):
        rate = counts.given[k] / n if n and counts.given else 0.0
        train_rate = base["tag_rates"][k]
        ratio = (rate + RATE_FLOOR) / (train_rate + RATE_FLOOR)
        p = binomial_p(counts.given[k] if counts.given else 0, n, train_rate)
        report["tag_rates"][tag] = {"rate": round(rate, 6), "training_rate": train_rate,
                                    "ratio": round(ratio, 4), "p_value": p}
        if comparable and (ratio >= RATE_RATIO or ratio <= 1 / RATE_RATIO) and p < RATE_P:
            reasons.append(f"{tag} given to {rate:.1%} of documents (training {train_rate:.1%})")
    if report["unseen_ratio"] >= UNSEEN_RATIO:
        reasons.insert(0, f"{unseen:.1%} of words unseen in training "
                          f"(training documents {base['unseen_share']:.1%})")
    if report["near_ratio"] >= NEAR_RATIO:
        reasons.append(f"{near:.0%} of documents close to a threshold "
                       f"(training {base['near_share']:.0%})")
    if n < MIN_DOCUMENTS:
        report["reasons"] = [f"{n} documents are too few to judge drift (at least "
                             f"{MIN_DOCUMENTS})"]
        return report
    report["warning"] = bool(reasons)
    report["reasons"] = reasons
    if reasons:
        report["advice"] = ADVICE
    return report


def drift_summary(report: dict) -> str:
    """The figures in a few words, for a summary line."""
    if not report.get("available"):
        return "drift: not measured"
    return (f"drift: {report['unseen_share']:.1%} unseen words (training "
            f"{report['training_unseen_share']:.1%}), {report['near_share']:.0%} near a threshold")


def drift_warning(report: dict) -> str | None:
    """One line for the user when the documents drift from training, else None."""
    if not report.get("warning"):
        return None
    return ("warning: new documents drift from the training data: " + "; ".join(report["reasons"])
            + ". Label some of them (tagger suggest picks which) and retrain.")
