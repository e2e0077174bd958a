"""Cross-validation of the whole training procedure, search included: the unbiased estimate."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..config import Settings
from ..errors import ModelError
from ..io.records import Document
from ..labels.attach import binarize, labelled, tag_set
from ..labels.tagschema import TagSchema
from ..model.train import train
from ..model.trainset import fold_splits
from .results import Evaluation
from .slices import check_slicing


def cross_validation(docs: Sequence[Document], *, k: int = 5, schema: TagSchema | None = None,
                     settings=None, search: dict | bool | None = True,
                     progress: Callable[[int], None] | None = None,
                     by: str | None = None, n_jobs: int | None = None) -> Evaluation:
    """K-fold estimate for training on these labels, with no saved model.

    Each outer fold trains a complete model (settings search, calibration and thresholds
    included) on the other folds and scores the held-out one, so nothing it is scored on
    ever influenced it. ``search`` is as for :func:`tagger.train` (by default, its search). Folds are stratified for multi-label data; unlabelled documents
    are passed to every fold (they only ever inform the vocabulary and IDF). ``by`` also
    scores each year, quarter, month or source (see :mod:`.slices`). ``n_jobs`` is
    as for :func:`tagger.train`, for each fold's training.
    """
    check_slicing(by)
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
    evidence: list = [None] * len(data)
    for train_idx, test_idx in fold_splits(Y, k, settings.seed):
        model = train([data[i] for i in train_idx] + unlabelled, schema=schema, settings=settings,
                      search=search, n_jobs=n_jobs)
        proba[test_idx] = model.predict_proba([data[i].content for i in test_idx])
        P[test_idx] = model.decide(proba[test_idx])
        fold_thresholds.append(model.thresholds)
        for i, e in zip(test_idx, model.best_sentences([data[i] for i in test_idx])):
            evidence[i] = e
        if progress:
            progress(1)
    return Evaluation(tags=list(tags), ids=[d.id for d in data], titles=[d.title for d in data],
                      Y=Y, proba=proba, P=P, thresholds=np.median(fold_thresholds, axis=0),
                      cv_folds=k, evidence=evidence, dates=[d.date for d in data],
                      outlets=[d.outlet for d in data], by=by)


def cross_validate(docs: Sequence[Document], **kwargs) -> dict:
    """The JSON report of :func:`cross_validation`."""
    return cross_validation(docs, **kwargs).summary()
