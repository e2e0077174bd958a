"""The training set: the labelled documents among those given, their tags, label matrix and
folds, refused in one line saying what to label (or change) when they cannot train a model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..config import Settings
from ..errors import ModelError
from ..io.records import Document
from ..labels.attach import binarize, labelled, tag_set
from ..labels.tagschema import TagSchema
from .features import keyword_lists
from .search import worker_count


def check_trainable(Y: np.ndarray, tags: Sequence[str], n_docs: int) -> None:
    """Each tag needs positive and negative examples; say what to label if not."""
    for k, tag in enumerate(tags):
        pos = int(Y[:, k].sum())
        if pos == 0:
            raise ModelError(f"tag {tag!r} has no positive examples among the {n_docs} labelled "
                             f"documents: label some documents that carry {tag!r}, or drop it "
                             "from the schema")
        if pos == n_docs:
            raise ModelError(f"tag {tag!r} has no negative examples: all {n_docs} labelled "
                             f"documents carry it; label some documents without {tag!r}")


def check_folds(splits, settings: Settings, n_docs: int) -> None:
    """Each fold's vocabulary can keep a term: its training rows must reach ``min_df``
    (and ``max_df`` of them too), else say in one line what to change."""
    smallest = min(len(tr) for tr, _ in splits)
    if settings.max_df * smallest < settings.min_df:
        raise ModelError(f"too few labelled documents to train: with {n_docs}, a fold of the "
                         f"{len(splits)}-fold cross-validation learns from {smallest}, fewer "
                         f"than the {settings.min_df} documents a term must appear in (the "
                         "'min_df' setting); label more documents, use fewer folds or a "
                         "lower 'min_df'")


def fold_splits(Y: np.ndarray, folds: int, seed: int):
    """Folds stratified for multi-label data (iterative stratification)."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    n = len(Y)
    folds = max(2, min(folds, n))
    if Y.shape[1] == 1:  # one tag is not multi-label to the splitter: stratify on both classes
        Y = np.hstack([Y, 1 - Y])
    splitter = MultilabelStratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros((n, 1)), Y))



@dataclass(frozen=True)
class TrainingSet:
    """What each step of one training reads: the documents given, the labelled ones, their
    tags and label matrix, the folds, the schema's keyword lists, the worker count."""

    docs: Sequence[Document]
    train_docs: list[Document]
    tags: list[str]
    Y: np.ndarray
    splits: list
    keywords: list
    workers: int
    texts: list[str]      # the labelled documents'
    all_texts: list[str]  # every document's, unlabelled ones too


def training_set(docs: Sequence[Document], schema: TagSchema | None, base: Settings,
                 n_jobs: int | None) -> TrainingSet:
    """The labelled documents among ``docs`` and their folds (``base``: folds, seed, and the
    vocabulary settings the folds are checked against)."""
    train_docs = labelled(docs)
    if not train_docs:
        raise ModelError("no labelled documents: give labels, or data with a 'tags' field")
    tags = tag_set(train_docs, schema)
    if not tags:
        raise ModelError(f"the {len(train_docs)} labelled documents carry no tags at all: "
                         "label some documents with the tags they should learn")
    Y = binarize(train_docs, tags)
    check_trainable(Y, tags, len(train_docs))
    workers = worker_count(n_jobs, len(train_docs))
    texts = [d.content for d in train_docs]
    all_texts = [d.content for d in docs]
    splits = fold_splits(Y, base.folds, base.seed)
    if not base.unlabelled_idf:  # else the vocabulary is made from every document given
        check_folds(splits, base, len(train_docs))
    return TrainingSet(docs, train_docs, tags, Y, splits, keyword_lists(schema, tags), workers,
                       texts, all_texts)
