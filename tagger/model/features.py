"""Feature matrices for training: per fold of the search, TF-IDF fitted on the fold's
training part, keyword features, and out-of-fold sentence features."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..config import Settings
from ..io.schema import TagSchema
from .core import vectorizer_params
from ..text.names import name_like
from .evidence import corpus_rows, out_of_fold


def make_vectorizer(settings: Settings):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(**vectorizer_params(settings))


def fit_vectorizer(settings: Settings, texts):
    """The vectorizer fitted on ``texts``; with a name_weight below 1, the IDF of names and
    numbers scaled by it (so tagging, which reads the saved IDF, weighs them the same)."""
    vec = make_vectorizer(settings).fit(texts)
    if settings.name_weight != 1.0:
        names = name_like(vec.vocabulary_, texts)
        vec.idf_ = np.where(names, settings.name_weight, 1.0) * vec.idf_
    return vec



@dataclass
class Features:
    """Feature matrices for one feature setting, per fold."""

    folds: list  # (X_train, X_test) per split
    all_docs_vectorizer: object  # fitted on every document (unlabelled_idf), else None


def feature_key(settings: Settings) -> tuple:
    """The settings that decide the features: candidates sharing them share matrices."""
    return (settings.ngram_max, settings.min_df, settings.max_df, settings.sublinear_tf,
            settings.unlabelled_idf, settings.name_weight, settings.ngram_weight,
            settings.keyword_window, settings.keyword_weight,
            settings.sentences, settings.sentence_C if settings.sentences else None,
            settings.hard_negative_weight if settings.sentences else None,
            settings.sentence_cues if settings.sentences else None)


def canonical(X):
    # worker processes get read-only copies, which scikit-learn must not need to re-sort
    X = X.tocsr()
    X.sum_duplicates()
    return X


def vocabulary_key(settings: Settings) -> tuple:
    """The settings that decide the TF-IDF and sentence features (not the keyword ones)."""
    return (settings.ngram_max, settings.min_df, settings.max_df, settings.sublinear_tf,
            settings.unlabelled_idf, settings.name_weight,
            settings.sentence_C if settings.sentences else None,
            settings.hard_negative_weight if settings.sentences else None,
            settings.sentence_cues if settings.sentences else None)


def _fold_matrices(settings: Settings, texts, all_texts, splits, corpus, n_jobs: int | None = None):
    """Per fold, (TF-IDF of its training part, of its test part, sentence features or
    None), and the vectorizer fitted on every document (unlabelled_idf) or None."""
    n = len(texts)
    sentences = settings.sentences and corpus is not None
    shared = None
    if settings.unlabelled_idf:
        shared = fit_vectorizer(settings, all_texts)
        X_all = shared.transform(texts)
        X_sent = corpus_rows(corpus, shared.vocabulary_, shared.ngram_range, shared.idf_,
                             cue_value=settings.sentence_cues) if sentences else None
    folds = []
    for f, (tr, te) in enumerate(splits):
        if shared is None:
            vec = fit_vectorizer(settings, [texts[i] for i in tr])
            Xtr, Xte = vec.transform([texts[i] for i in tr]), vec.transform([texts[i] for i in te])
            if sentences:
                X_sent = corpus_rows(corpus, vec.vocabulary_, vec.ngram_range, vec.idf_,
                                     cue_value=settings.sentence_cues)
        else:
            Xtr, Xte = X_all[tr], X_all[te]
        S = None
        if sentences:
            groups = [splits[g][1] for g in range(len(splits)) if g != f]
            if len(groups) < 2:  # two folds: halve the other one, so each half has scorers
                rng = np.random.default_rng(settings.seed)
                groups = np.array_split(rng.permutation(groups[0]), 2)
            S = out_of_fold(X_sent, corpus, n, tr, groups, C=settings.sentence_C,
                            seed=settings.seed, score=te, n_jobs=n_jobs,
                            hard_weight=settings.hard_negative_weight)
        folds.append((Xtr, Xte, S))
    return folds, shared


def fold_features(settings: Settings, texts, all_texts, splits, K, corpus,
                  cache: dict | None = None, n_jobs: int | None = None) -> Features:
    """TF-IDF per fold (fitted on the fold's training part), plus keyword features ``K``
    (they learn nothing from the data, so one matrix serves every fold), plus, with
    sentences, each fold's sentence features: out of fold for its training part (scorers
    fitted without the document's own fold), and from scorers fitted on the whole training
    part for its test part. ``cache`` keeps the costly part for candidates that differ
    only in their keyword settings."""
    cache = {} if cache is None else cache
    key = vocabulary_key(settings)
    if key not in cache:
        cache[key] = _fold_matrices(settings, texts, all_texts, splits, corpus, n_jobs)
    matrices, shared = cache[key]
    folds = []
    for (tr, te), (Xtr, Xte, S) in zip(splits, matrices):
        Ktr, Kte = (None, None) if K is None else (K[tr], K[te])
        if S is not None:
            Ktr, Kte = stack(Ktr, S[tr]), stack(Kte, S[te])
        w = settings.ngram_weight  # the n-grams' scale: see the setting
        folds.append((canonical(with_keywords(Xtr * w, Ktr)), canonical(with_keywords(Xte * w, Kte))))
    return Features(folds, shared)


def stack(K, S):
    return S if K is None else np.hstack([K, S])


def keyword_lists(schema: TagSchema | None, tags: Sequence[str]) -> list[dict]:
    """The schema's keyword lists, in tag order, for the tags that have them."""
    if schema is None:
        return []
    by_id = {t.id: t for t in schema.tags}
    return [{"tag": t, "keywords": list(by_id[t].keywords), "context": list(by_id[t].context)}
            for t in tags if t in by_id and by_id[t].keywords]


def with_keywords(X, K):
    import scipy.sparse as sp

    return X if K is None else sp.hstack([X, sp.csr_matrix(K)], format="csr")
