"""Feature matrices for training: per fold of the search, TF-IDF fitted on the fold's
training part, keyword features, and out-of-fold sentence features.

What candidates share is made once: the labelled documents' term counts (one analysis for
every fold, see :mod:`.counts`), each fold's TF-IDF per vocabulary setting, and its
sentence features per sentence setting; the folds are made in parallel processes.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..config import Settings
from ..labels.tagschema import TagSchema
from ..text.names import name_like
from .core import vectorizer_params
from .counts import fold_tfidf, supports, term_counts
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


def feature_key(settings: Settings) -> tuple:
    """The settings that decide the features: candidates sharing them share matrices."""
    return vocabulary_key(settings) + (settings.sentences, settings.ngram_weight,
                                       settings.keyword_window, settings.keyword_weight)


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


def tfidf_key(settings: Settings) -> tuple:
    """The settings that decide the TF-IDF alone: candidates with and without sentence
    features share it."""
    return (tuple(sorted((k, repr(v)) for k, v in vectorizer_params(settings).items())),
            settings.unlabelled_idf, settings.name_weight)


# TfidfVectorizer options that weight counts, and do not change what is counted
WEIGHTING = ("min_df", "max_df", "sublinear_tf", "norm", "use_idf", "smooth_idf", "dtype")


def analysis_key(vectorizer) -> str:
    """The vectorizer options that decide the counts: settings sharing them share counts."""
    return repr(sorted((k, v) for k, v in vectorizer.get_params().items() if k not in WEIGHTING))


class FoldSource:
    """What every fold's TF-IDF is made from, for one TF-IDF setting: the term counts
    of the labelled documents (made once), or the vectorizer fitted on every document
    (unlabelled_idf), or, for vectorizer options counts cannot reproduce (and for names'
    IDF scaled by name_weight, which counts do not know of), the texts."""

    def __init__(self, settings: Settings, texts, all_texts, corpus, counts_cache: dict):
        self.settings, self.texts, self.corpus = settings, None, corpus
        self.counts = self.shared = self.X_all = None
        vec = make_vectorizer(settings)
        if settings.unlabelled_idf:
            self.shared = fit_vectorizer(settings, all_texts)
            self.X_all = canonical(self.shared.transform(texts))
        elif supports(vec) and settings.name_weight == 1.0:
            key = analysis_key(vec)
            if key not in counts_cache:
                counts_cache[key] = term_counts(vec, texts)
            self.counts = counts_cache[key]
        else:
            self.texts = list(texts)

    def fold(self, tr, te):
        """(X_train, X_test, the fold's vectorizer as the sentence rows need it)."""
        if self.shared is not None:
            return self.X_all[tr], self.X_all[te], self.shared
        if self.counts is not None:
            Xtr, Xte, fitted = fold_tfidf(make_vectorizer(self.settings), self.counts, tr, te)
            return canonical(Xtr), canonical(Xte), fitted
        part = [self.texts[i] for i in tr]
        vec = fit_vectorizer(self.settings, part)
        return canonical(vec.transform(part)), canonical(vec.transform([self.texts[i] for i in te])), vec


def _one_fold(source: FoldSource, splits, f: int, sentence_settings: list, n: int):
    """Fold ``f``'s TF-IDF (train, test) and its sentence features for each of
    ``sentence_settings`` (run in a worker process)."""
    tr, te = splits[f]
    Xtr, Xte, vec = source.fold(tr, te)
    S = {}
    rows_by_cues: dict = {}  # the sentence rows, once per cue value
    for s in sentence_settings:
        if s.sentence_cues not in rows_by_cues:
            rows_by_cues[s.sentence_cues] = corpus_rows(source.corpus, vec.vocabulary_, vec.ngram_range,
                                                        vec.idf_, cue_value=s.sentence_cues)
        groups = [splits[g][1] for g in range(len(splits)) if g != f]
        if len(groups) < 2:  # two folds: halve the other one, so each half has scorers
            rng = np.random.default_rng(s.seed)
            groups = np.array_split(rng.permutation(groups[0]), 2)
        S[vocabulary_key(s)] = out_of_fold(rows_by_cues[s.sentence_cues], source.corpus, n, tr,
                                           groups, C=s.sentence_C, seed=s.seed, score=te,
                                           n_jobs=1, hard_weight=s.hard_negative_weight)
    return Xtr, Xte, S


def fold_matrices(candidates: Sequence[Settings], texts, all_texts, splits, corpus,
                  n_jobs: int | None = None, counts_cache: dict | None = None) -> dict:
    """For every vocabulary setting among ``candidates`` (see :func:`vocabulary_key`):
    per fold (TF-IDF of its training part, of its test part, sentence features or None),
    and the vectorizer fitted on every document (unlabelled_idf) or None. Each TF-IDF
    is made once for all the candidates that share it; folds in ``n_jobs`` processes."""
    from joblib import Parallel, delayed

    counts_cache = {} if counts_cache is None else counts_cache
    by_tfidf: dict = {}
    for s in candidates:
        wanted = by_tfidf.setdefault(tfidf_key(s), (s, {}))[1]
        if s.sentences and corpus is not None:
            wanted.setdefault(vocabulary_key(s), s)
    sources = {k: FoldSource(s, texts, all_texts, corpus if wanted else None, counts_cache)
               for k, (s, wanted) in by_tfidf.items()}
    jobs = [(k, f) for k in by_tfidf for f in range(len(splits))]
    done = Parallel(n_jobs=n_jobs)(
        delayed(_one_fold)(sources[k], splits, f, list(by_tfidf[k][1].values()), len(texts))
        for k, f in jobs)
    by_job = dict(zip(jobs, done))
    out: dict = {}
    for k, (s, wanted) in by_tfidf.items():
        per_fold = [by_job[k, f] for f in range(len(splits))]
        out[vocabulary_key(replace_sentences(s, False))] = (
            [(Xtr, Xte, None) for Xtr, Xte, _ in per_fold], sources[k].shared)
        for vkey in wanted:
            out[vkey] = ([(Xtr, Xte, S[vkey]) for Xtr, Xte, S in per_fold], sources[k].shared)
    return out


def replace_sentences(settings: Settings, on: bool) -> Settings:
    from dataclasses import replace

    return replace(settings, sentences=on)


def fold_extra(K, S, tr, te):
    """The dense columns beside a fold's TF-IDF: keyword features, then sentence ones."""
    Ktr, Kte = (None, None) if K is None else (K[tr], K[te])
    if S is not None:
        Ktr, Kte = stack(Ktr, S[tr]), stack(Kte, S[te])
    return Ktr, Kte


def final_tfidf(settings: Settings, texts, counts_cache: dict | None = None):
    """(vectorizer as the model keeps it, TF-IDF of ``texts``): fitted on all of them, as
    ``make_vectorizer(settings).fit(texts)`` and its ``transform(texts)`` would be."""
    vec = make_vectorizer(settings)
    if not supports(vec) or settings.name_weight != 1.0:
        vec = fit_vectorizer(settings, texts)
        return vec, vec.transform(texts)
    source = FoldSource(replace_sentences(settings, False), texts, texts, None,
                        {} if counts_cache is None else counts_cache)
    everything = np.arange(len(texts))
    _, X, fitted = fold_tfidf(vec, source.counts, everything, everything)
    return fitted, X


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
