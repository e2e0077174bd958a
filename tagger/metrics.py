"""Scoring tag decisions against hand labels: per-tag and averaged precision, recall, F1."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .documents import Document
from .errors import ModelError
from .labels import TagSchema, binarize, labelled, tag_set


def score(Y: np.ndarray, P: np.ndarray, tags: Sequence[str]) -> dict:
    """``{"n_docs", "micro", "macro", "per_tag"}`` for true labels Y and decisions P."""
    from sklearn.metrics import precision_recall_fscore_support

    per = precision_recall_fscore_support(Y, P, average=None, zero_division=0)
    out = {"n_docs": int(len(Y))}
    for avg in ("micro", "macro"):
        p, r, f, _ = precision_recall_fscore_support(Y, P, average=avg, zero_division=0)
        out[avg] = {"precision": _r(p), "recall": _r(r), "f1": _r(f)}
    out["per_tag"] = {
        tag: {"precision": _r(per[0][k]), "recall": _r(per[1][k]), "f1": _r(per[2][k]),
              "support": int(per[3][k])}
        for k, tag in enumerate(tags)
    }
    return out


def _r(x) -> float:
    return round(float(x), 4)


@dataclass
class Evaluation:
    """Everything known about a model's decisions on labelled documents."""

    tags: list[str]
    ids: list[str]
    titles: list[str]
    Y: np.ndarray          # true labels (n_docs x n_tags)
    proba: np.ndarray      # calibrated scores
    P: np.ndarray          # decisions
    thresholds: np.ndarray  # per tag (for cross-validation: the median over folds)
    cv_folds: int | None = None
    n_boot: int = 1000
    seed: int = 0
    _summary: dict | None = field(default=None, init=False, repr=False, compare=False)

    def summary(self) -> dict:
        """The JSON report: scores, 95% bootstrap intervals and calibration error.

        Computed once (the bootstrap is the costly part) and shared by the table, the JSON
        file and the HTML report.
        """
        if self._summary is None:
            self._summary = self._compute_summary()
        return self._summary

    def _compute_summary(self) -> dict:
        result = score(self.Y, self.P, self.tags)
        ci = bootstrap_intervals(self.Y, self.P, self.tags, n_boot=self.n_boot, seed=self.seed)
        result["micro"]["f1_ci95"] = ci["micro_f1"]
        result["macro"]["f1_ci95"] = ci["macro_f1"]
        for k, tag in enumerate(self.tags):
            entry = result["per_tag"][tag]
            entry["f1_ci95"] = ci["per_tag_f1"][tag]
            entry["ece"] = _r(expected_calibration_error(self.Y[:, k], self.proba[:, k]))
            entry["threshold"] = _r(self.thresholds[k])
        result["bootstrap"] = {"n_boot": ci["n_boot"], "seed": ci["seed"], "level": ci["level"]}
        if self.cv_folds:
            result["cv_folds"] = self.cv_folds
        return result


def evaluation(model, docs: Sequence[Document]) -> Evaluation:
    """Score a trained model on the labelled documents among ``docs``."""
    test = labelled(docs)
    if not test:
        raise ModelError("none of the documents given carry labels: give --labels, or data "
                         "with a 'tags' field")
    proba = model.predict_proba([d.content for d in test])
    return Evaluation(tags=list(model.tags), ids=[d.id for d in test], titles=[d.title for d in test],
                      Y=binarize(test, model.tags), proba=proba, P=model.decide(proba),
                      thresholds=np.asarray(model.thresholds))


def evaluate(model, docs: Sequence[Document]) -> dict:
    """Scores of a trained model on the labelled documents among ``docs`` (the JSON report)."""
    return evaluation(model, docs).summary()


def cross_validation(docs: Sequence[Document], *, k: int = 5, schema: TagSchema | None = None,
                     settings=None, search: dict | None = None,
                     progress: Callable[[int], None] | None = None) -> Evaluation:
    """K-fold estimate for training on these labels, with no saved model.

    Each outer fold trains a complete model (settings search, calibration and thresholds
    included) on the other folds and scores the held-out one, so nothing it is scored on
    ever influenced it. Folds are stratified for multi-label data; unlabelled documents
    are passed to every fold (they only ever inform the vocabulary and IDF).
    """
    from .model import Settings, fold_splits, train

    settings = settings or Settings()
    data = labelled(docs)
    unlabelled = [d for d in docs if d.tags is None]
    if len(data) < k:
        raise ModelError(f"{len(data)} labelled documents are too few for {k}-fold cross-validation")
    tags = tag_set(data, schema)
    schema = schema or TagSchema.from_ids(tags)
    Y = binarize(data, tags)
    proba = np.zeros(Y.shape)
    P = np.zeros(Y.shape, dtype=np.int8)
    fold_thresholds = []
    for train_idx, test_idx in fold_splits(Y, k, settings.seed):
        model = train([data[i] for i in train_idx] + unlabelled, schema=schema, settings=settings,
                      search=search)
        proba[test_idx] = model.predict_proba([data[i].content for i in test_idx])
        P[test_idx] = model.decide(proba[test_idx])
        fold_thresholds.append(model.thresholds)
        if progress:
            progress(1)
    return Evaluation(tags=list(tags), ids=[d.id for d in data], titles=[d.title for d in data],
                      Y=Y, proba=proba, P=P, thresholds=np.median(fold_thresholds, axis=0),
                      cv_folds=k)


def cross_validate(docs: Sequence[Document], **kwargs) -> dict:
    """The JSON report of :func:`cross_validation`."""
    return cross_validation(docs, **kwargs).summary()


def format_table(result: dict) -> str:
    """A plain-text table of a score dict, one row per tag and the two averages."""
    rows = [(tag, m) for tag, m in result["per_tag"].items()]
    support = sum(m["support"] for _, m in rows)
    width = max([len("macro avg"), *(len(t) for t, _ in rows)])

    def ci(m):
        lo, hi = m.get("f1_ci95", (None, None))
        return f"[{lo:.3f}, {hi:.3f}]" if lo is not None else ""

    lines = [f"{'tag':<{width}}  precision  recall     f1  95% interval     support    ECE"]
    for tag, m in rows:
        ece = f"{m['ece']:6.3f}" if "ece" in m else ""
        lines.append(f"{tag:<{width}}  {m['precision']:9.3f}  {m['recall']:6.3f}  {m['f1']:5.3f}"
                     f"  {ci(m):<15s}  {m['support']:7d}  {ece}".rstrip())
    lines.append("")
    for avg in ("micro", "macro"):
        m = result[avg]
        lines.append(f"{avg + ' avg':<{width}}  {m['precision']:9.3f}  {m['recall']:6.3f}  "
                     f"{m['f1']:5.3f}  {ci(m):<15s}  {support:7d}".rstrip())
    how = f"{result['cv_folds']}-fold cross-validation, " if result.get("cv_folds") else ""
    lines.append(f"\n{result['n_docs']} labelled documents ({how}95% bootstrap intervals; "
                 "ECE: expected calibration error)")
    return "\n".join(lines)


def f1_from_counts(tp, fp, fn):
    """F1 from true-positive, false-positive and false-negative counts (0 where undefined)."""
    tp, fp, fn = (np.asarray(x, dtype=np.float64) for x in (tp, fp, fn))
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.zeros_like(denom), where=denom > 0)


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
        return [_r(a), _r(b)]

    return {"level": level, "n_boot": n_boot, "seed": seed,
            "micro_f1": interval(micro), "macro_f1": interval(macro),
            "per_tag_f1": {t: interval(per_tag[:, k]) for k, t in enumerate(tags)}}


def calibration_bins(y: np.ndarray, p: np.ndarray, n_bins: int = 10):
    """Equal-width bins of predicted probability: (mean predicted, observed rate, count)."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(which, weights=p, minlength=n_bins) / count
        rate = np.bincount(which, weights=y, minlength=n_bins) / count
    return mean_p, rate, count


def expected_calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    """Mean gap between predicted probability and observed frequency, weighted by bin size."""
    mean_p, rate, count = calibration_bins(np.asarray(y, float), np.asarray(p, float), n_bins)
    used = count > 0
    return float(np.sum(count[used] * np.abs(mean_p[used] - rate[used])) / max(count.sum(), 1))
