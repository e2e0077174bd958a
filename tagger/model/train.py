"""Training: cross-validated search over settings, calibration, thresholds, the final fit."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from typing import Callable, Iterable, Sequence

import numpy as np

from ..config import DEFAULT_SEARCH, Settings
from ..io.records import Document
from ..labels.tagschema import TagSchema
from ..text.featurizer import Featurizer
from ..text.keywords import lexicon_for
from .core import TaggerModel, saved_vectorizer_params
from .drift import score_baseline, training_words
from .evidence import (corpus_rows, fit_scorers, has_evidence, out_of_fold, sentence_weights,
                       tokenized)
from .features import (canonical, final_tfidf, fold_matrices, make_vectorizer, stack,
                       vocabulary_key, with_keywords)
from .search import make_classifier, quiet_fit, score_candidates
from .bootstrap import add_intervals
from .provenance import date_range, document_hashes, source_counts
from .thresholds import thresholds_with_fallback
from .trainset import TrainingSet, training_set


def make_pipeline(settings: Settings):
    """The scikit-learn pipeline equivalent to a model before calibration."""
    from sklearn.pipeline import Pipeline

    return Pipeline([("tfidf", make_vectorizer(settings)), ("clf", make_classifier(settings))])


def fingerprint(docs: Iterable[Document], tags: Sequence[str]) -> str:
    """SHA-256 over the labelled documents' ids, text and tags, in id order."""
    h = hashlib.sha256()
    h.update(("\x1f".join(tags) + "\n").encode())
    for d in sorted(docs, key=lambda d: d.id):
        h.update(d.id.encode() + b"\x00" + d.content.encode() + b"\x00"
                 + ";".join(sorted(d.tags or ())).encode() + b"\n")
    return "sha256:" + h.hexdigest()


def search_grid(base: Settings, search: dict | None) -> list[Settings]:
    """Every combination of the searched values, on top of the base settings: those of
    scikit-learn's ParameterGrid, in its order (names sorted, the last varying fastest), the
    order candidates are scored in and ties broken by. Each value list must be a non-empty
    sequence (a tuple or list)."""
    # imported by sklearn.linear_model already, which every training run loads
    from sklearn.model_selection import ParameterGrid

    if not search:
        return [base]
    return [replace(base, **combo) for combo in ParameterGrid(search)]


def train(docs: Sequence[Document], *, schema: TagSchema | None = None,
          settings: Settings | None = None, search: dict | bool | None = True,
          command: str | None = None, n_jobs: int | None = None,
          progress: Callable[[int], None] | None = None) -> TaggerModel:
    """Train a model on the labelled documents among ``docs``.

    ``search`` is a mapping of Settings fields to candidate values, True (the default) for
    the default search, as `tagger train` does it (:data:`tagger.config.DEFAULT_SEARCH`),
    or None/False for none: ``settings`` as given. Every combination
    is scored by cross-validation on the training labels, per-tag thresholds chosen inside
    the same folds, and the best is kept. Scores are calibrated by Platt scaling fitted on
    out-of-fold logits, and per-tag thresholds maximise each tag's out-of-fold F1. Tags the
    schema gives keywords get a keyword feature each (see
    :meth:`tagger.text.featurizer.Featurizer.keyword_matrix`). Unlabelled documents are
    used only for the vocabulary and IDF, when a setting asks for it.
    ``progress`` is called with 1 after each candidate and after the final fit. Folds
    and per-tag models are fitted in ``n_jobs`` processes (default: every core, one for
    under 200 labelled documents); not in threads, which would share liblinear's random
    state and so change the model from run to run. The model does not depend on
    ``n_jobs``.
    """
    base = settings or Settings()
    search = dict(DEFAULT_SEARCH) if search is True else (search or None)
    inputs = training_set(docs, schema, base, n_jobs)
    base, search = _narrowed(base, search, inputs)
    candidates = search_grid(base, search)
    # hard negatives are looked for only when a candidate weighs them
    hard = inputs.keywords if any(c.hard_negative_weight != 1.0 for c in candidates) else ()
    corpus = (tokenized(inputs.train_docs, inputs.tags, hard)
              if any(c.sentences for c in candidates) else None)
    features = KeywordFeatures(inputs.keywords, inputs.texts)
    counts_cache: dict = {}
    # what candidates share is made once: term counts, each fold's TF-IDF per vocabulary,
    # its sentence features per sentence setting, keyword matrices per keyword setting
    matrices = fold_matrices(candidates, inputs.texts, inputs.all_texts, inputs.splits, corpus,
                             inputs.workers, counts_cache)
    chosen = _choose(inputs, candidates, matrices, features, base.seed, progress)
    # with the vocabulary from all documents, the search already fitted the final vectorizer
    vec = matrices[vocabulary_key(chosen.settings)][1]
    matrices.clear()
    fit = _final_fit(inputs, chosen, vec, counts_cache, features, corpus, progress)
    return _assemble(inputs, chosen, fit, schema=schema, search=search, command=command,
                     base=base)


def _narrowed(base: Settings, search: dict | None, inputs: TrainingSet) -> tuple[Settings, dict | None]:
    """The settings and search without what the data gives nothing to: keyword settings
    without keywords, sentence scorers without evidence."""
    if not inputs.keywords and search:  # nothing for the keyword settings to change
        search = {k: v for k, v in search.items() if k not in ("keyword_window", "keyword_weight")}
    if not has_evidence(inputs.train_docs):  # nothing for the sentence scorers to learn from
        base = replace(base, sentences=False)
        search = {k: v for k, v in (search or {}).items() if k not in ("sentences", "sentence_C")} or None
    return base, search


class KeywordFeatures:
    """The labelled documents' keyword matrix for a candidate's keyword settings (None
    without keywords), made once per setting and kept for the candidates that share it."""

    def __init__(self, keywords: list, texts: list[str]):
        self.keywords, self.texts = keywords, texts
        self.cache: dict = {}

    def __call__(self, cand: Settings):
        key = (cand.keyword_window, cand.keyword_weight)
        if key not in self.cache:
            lexicon = lexicon_for(self.keywords, cand.keyword_window)
            self.cache[key] = (None if lexicon is None else Featurizer(lexicon=lexicon)
                               .keyword_matrix(self.texts, cand.keyword_weight))
        return self.cache[key]


@dataclass
class _Chosen:
    """The best candidate of the search: its settings, Platt calibration, out-of-fold
    probabilities, cross-validated scores and thresholds; ``results``: every candidate's."""

    settings: Settings
    calib: np.ndarray
    oof_proba: np.ndarray
    cv_scores: dict
    thresholds: np.ndarray
    results: list


def _choose(inputs: TrainingSet, candidates: list[Settings], matrices: dict, features, seed: int,
            progress) -> _Chosen:
    """Score every candidate on the folds; keep the best (micro-F1, then macro-F1, then the
    first), its scores with intervals, and its thresholds."""
    Y, tags = inputs.Y, inputs.tags
    results = score_candidates(candidates, matrices, features, Y, inputs.splits, tags,
                               inputs.workers, progress)
    best = max(range(len(results)), key=lambda i: (results[i][0], results[i][1], -i))
    _, _, chosen, calib, oof_proba, cv_scores, cv_decisions = results[best]
    add_intervals(cv_scores, Y, cv_decisions, tags, seed=seed)
    thresholds, fell_back = thresholds_with_fallback(Y, oof_proba, chosen.min_f1)
    # A tag left on the fallback cut-off keeps the balanced logistic regression's own
    # probability, for which 0.5 is the natural boundary; Platt scaling fitted on a handful
    # of positives would push every score below it and the tag would never be given.
    calib[fell_back] = (1.0, 0.0)
    return _Chosen(chosen, calib, oof_proba, cv_scores, thresholds, results)


@dataclass
class _Fit:
    """The final fit on every labelled document, calibration folded in."""

    vec: object  # the fitted TF-IDF vectorizer
    keyword_features: object  # the keyword matrix; None without keyword features
    coef: np.ndarray
    intercept: np.ndarray
    sentence_coef: np.ndarray | None
    sentence_intercept: np.ndarray | None


def _final_fit(inputs: TrainingSet, chosen: _Chosen, vec, counts_cache: dict, features,
               corpus, progress) -> _Fit:
    """The chosen settings fitted on every labelled document (sentence scorers too, their
    scores out of fold as the search made them); ``progress(1)`` after the fit."""
    settings, texts, workers = chosen.settings, inputs.texts, inputs.workers
    if vec is None:
        vec, X = final_tfidf(settings, texts, counts_cache)
    else:
        X = vec.transform(texts)
    counts_cache.clear()
    K = features(settings)
    sentence_coef = sentence_intercept = None
    extra = K
    if settings.sentences:
        X_sent = corpus_rows(corpus, vec.vocabulary_, vec.ngram_range, vec.idf_,
                             cue_value=settings.sentence_cues)
        n = len(texts)
        S = out_of_fold(X_sent, corpus, n, np.arange(n), [te for _, te in inputs.splits],
                        C=settings.sentence_C, seed=settings.seed, n_jobs=workers,
                        hard_weight=settings.hard_negative_weight)
        extra = stack(K, S)
        sentence_coef, sentence_intercept = fit_scorers(
            X_sent, corpus.labels, C=settings.sentence_C, seed=settings.seed, n_jobs=workers,
            weights=sentence_weights(corpus, np.arange(len(corpus.labels)),
                                     settings.hard_negative_weight))
    clf = quiet_fit(make_classifier(settings, workers),
                    canonical(with_keywords(X * settings.ngram_weight, extra)), inputs.Y)
    if progress:
        progress(1)
    raw_coef = np.vstack([e.coef_ for e in clf.estimators_]).astype(np.float64)
    raw_coef[:, :len(vec.vocabulary_)] *= settings.ngram_weight  # the model reads unscaled TF-IDF
    raw_intercept = np.array([float(e.intercept_[0]) for e in clf.estimators_])
    # Platt scaling folded into the linear model: sigmoid(a (w.x + c) + b)
    calib = chosen.calib
    coef = raw_coef * calib[:, [0]]
    intercept = raw_intercept * calib[:, 0] + calib[:, 1]
    return _Fit(vec, K, coef, intercept, sentence_coef, sentence_intercept)


def _assemble(inputs: TrainingSet, chosen: _Chosen, fit: _Fit, *, schema: TagSchema | None,
              search: dict | None, command: str | None, base: Settings) -> TaggerModel:
    """The model and its metadata (what it was trained on, how it scored, how to rebuild it,
    the drift baseline)."""
    tags, Y, train_docs, vec = inputs.tags, inputs.Y, inputs.train_docs, fit.vec
    words, unseen_share = training_words(inputs.all_texts, folds=base.folds, seed=base.seed)
    model = TaggerModel(
        tags=list(tags), vocabulary=dict(vec.vocabulary_), idf=np.asarray(vec.idf_, dtype=np.float64),
        vectorizer_params=saved_vectorizer_params(chosen.settings), coef=fit.coef,
        intercept=fit.intercept, thresholds=chosen.thresholds, settings=chosen.settings,
        keywords=inputs.keywords if fit.keyword_features is not None else [],
        sentence_coef=fit.sentence_coef, sentence_intercept=fit.sentence_intercept,
        out_of_fold=chosen.oof_proba, training_hashes=document_hashes(train_docs),
        training_words=words,
        metadata={
            "n_train_docs": len(train_docs),
            "n_unlabelled_docs": len(inputs.all_texts) - len(inputs.texts),
            "tag_counts": {t: int(c) for t, c in zip(tags, Y.sum(axis=0))},
            "training_data": fingerprint(train_docs, tags),
            "cv": {"folds": len(inputs.splits), "seed": base.seed, **chosen.cv_scores,
                   "note": "out-of-fold decisions, each fold's thresholds chosen on the other "
                           "folds; the search picked the best of the candidates below on these "
                           "same folds, so `tagger evaluate --cv` gives the unbiased estimate"},
            "calibration": {t: {"a": float(a), "b": float(b)} for t, (a, b) in zip(tags, chosen.calib)},
            "search": [{"settings": {k: v for k, v in asdict(r[2]).items() if search and k in search},
                        "micro_f1": r[0], "macro_f1": r[1]} for r in chosen.results],
            "schema": [asdict(t) for t in schema.tags] if schema else [{"id": t} for t in tags],
            "command": command,
            "date_range": date_range(train_docs),
            "sources": source_counts(train_docs),
        })
    model.metadata["drift"] = _drift_baseline(model, inputs.docs, chosen.oof_proba, unseen_share,
                                              chosen.settings.seed)
    return model


DRIFT_SAMPLE = 2000  # unlabelled training documents scored for the drift baseline


def _drift_baseline(model: TaggerModel, docs: Sequence[Document], oof_proba: np.ndarray,
                    unseen_share: float, seed: int) -> dict:
    """The training side of the drift figures (see :mod:`.drift`). Tag rates and the share
    close to a threshold come from the finished model on the unlabelled training
    documents, when there are enough of them (as new documents will be scored); else from
    the out-of-fold scores of the labelled ones (which run higher)."""
    pool = [d for d in docs if d.tags is None]
    if len(pool) >= 100:
        rng = np.random.default_rng(seed)
        pick = np.sort(rng.choice(len(pool), min(len(pool), DRIFT_SAMPLE), replace=False))
        scored = score_baseline(model.predict_proba([pool[i].content for i in pick]),
                                model.thresholds)
        scored["rates_from"] = "unlabelled"
    else:
        scored = score_baseline(oof_proba, model.thresholds)
        scored["rates_from"] = "out_of_fold"
    how = {"unlabelled": "the model, on unlabelled training documents",
           "out_of_fold": "out of fold, on the labelled documents"}[scored["rates_from"]]
    return {"unseen_share": unseen_share, **scored,
            "note": "unseen_share: each fifth of the training documents against the words of "
                    f"the others; tag rates and near_share: {how}"}
