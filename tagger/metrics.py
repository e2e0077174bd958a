"""Scoring tag decisions against hand labels: per-tag and averaged precision, recall, F1."""

from __future__ import annotations

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


def evaluate(model, docs: Sequence[Document]) -> dict:
    """Score a trained model on the labelled documents among ``docs``."""
    test = labelled(docs)
    if not test:
        raise ModelError("none of the documents given carry labels: give --labels, or data "
                         "with a 'tags' field")
    Y = binarize(test, model.tags)
    P = model.decide(model.predict_proba([d.content for d in test]))
    return score(Y, P, model.tags)


def cross_validate(docs: Sequence[Document], *, k: int = 5, schema: TagSchema | None = None,
                   settings=None, progress: Callable[[int], None] | None = None) -> dict:
    """K-fold estimate for training on these labels, with no saved model.

    Each outer fold trains a complete model (inner cross-validation for its thresholds
    included) on the other folds and scores the held-out one, so nothing it is scored
    on ever influenced it. Folds are stratified for multi-label data.
    """
    from .model import Settings, fold_splits, train

    settings = settings or Settings()
    data = labelled(docs)
    if len(data) < k:
        raise ModelError(f"{len(data)} labelled documents are too few for {k}-fold cross-validation")
    tags = tag_set(data, schema)
    schema = schema or TagSchema.from_ids(tags)
    Y = binarize(data, tags)
    P = np.zeros(Y.shape, dtype=np.int8)
    for train_idx, test_idx in fold_splits(Y, k, settings.seed):
        model = train([data[i] for i in train_idx], schema=schema, settings=settings)
        P[test_idx] = model.decide(model.predict_proba([data[i].content for i in test_idx]))
        if progress:
            progress(1)
    result = score(Y, P, tags)
    result["cv_folds"] = k
    return result


def format_table(result: dict) -> str:
    """A plain-text table of a score dict, one row per tag and the two averages."""
    rows = [(tag, m["precision"], m["recall"], m["f1"], m["support"])
            for tag, m in result["per_tag"].items()]
    support = sum(r[4] for r in rows)
    width = max([len("macro avg"), *(len(r[0]) for r in rows)])
    lines = [f"{'tag':<{width}}  precision  recall     f1  support"]
    for tag, p, r, f, s in rows:
        lines.append(f"{tag:<{width}}  {p:9.3f}  {r:6.3f}  {f:5.3f}  {s:7d}")
    lines.append("")
    for avg in ("micro", "macro"):
        m = result[avg]
        lines.append(f"{avg + ' avg':<{width}}  {m['precision']:9.3f}  {m['recall']:6.3f}  "
                     f"{m['f1']:5.3f}  {support:7d}")
    lines.append(f"\n{result['n_docs']} labelled documents")
    return "\n".join(lines)
