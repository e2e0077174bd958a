"""Training: cross-validated search over settings, calibration, thresholds, the final fit."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, replace
from typing import Callable, Iterable, Sequence

import numpy as np

from ..config import DEFAULT_SEARCH, Settings
from ..errors import ModelError
from ..io.labels import binarize, labelled, tag_set
from ..io.records import Document
from ..io.schema import TagSchema
from ..text.featurizer import Featurizer
from .core import TaggerModel, make_lexicon, saved_vectorizer_params
from .drift import score_baseline, training_words
from .evidence import (corpus_rows, fit_scorers, has_evidence, out_of_fold, sentence_weights,
                       tokenized)
from .features import (canonical, final_tfidf, fold_matrices, keyword_lists, make_vectorizer,
                       stack, vocabulary_key, with_keywords)
from .search import make_classifier, quiet_fit, score_candidates, worker_count
from .bootstrap import add_intervals
from .provenance import date_range, document_hashes, source_counts
from .thresholds import thresholds_with_fallback


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


def search_grid(base: Settings, search: dict | None) -> list[Settings]:
    """Every combination of the searched values, on top of the base settings."""
    import itertools

    if not search:
        return [base]
    keys = sorted(search)
    return [replace(base, **dict(zip(keys, combo)))
            for combo in itertools.product(*(search[k] for k in keys))]


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
    schema gives keywords get a keyword feature each (see :func:`keyword_values`). Unlabelled
    documents are used only for the vocabulary and IDF, when a setting asks for it.
    ``progress`` is called with 1 after each candidate and after the final fit. Folds
    and per-tag models are fitted in ``n_jobs`` processes (default: every core, one for
    under 200 labelled documents); not in threads, which would share liblinear's random
    state and so change the model from run to run. The model does not depend on
    ``n_jobs``.
    """
    base = settings or Settings()
    search = dict(DEFAULT_SEARCH) if search is True else (search or None)
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
    keywords = keyword_lists(schema, tags)
    if not keywords and search:  # nothing for the keyword settings to change
        search = {k: v for k, v in search.items() if k not in ("keyword_window", "keyword_weight")}
    evidence = has_evidence(train_docs)
    if not evidence:  # nothing for the sentence scorers to learn from
        base = replace(base, sentences=False)
        search = {k: v for k, v in (search or {}).items() if k not in ("sentences", "sentence_C")} or None

    candidates = search_grid(base, search)
    # hard negatives are looked for only when a candidate weighs them
    hard = keywords if any(c.hard_negative_weight != 1.0 for c in candidates) else ()
    corpus = tokenized(train_docs, tags, hard) if any(c.sentences for c in candidates) else None
    keyword_cache: dict = {}
    counts_cache: dict = {}

    def keyword_features(cand: Settings):
        key = (cand.keyword_window, cand.keyword_weight)
        if key not in keyword_cache:
            lexicon = make_lexicon(keywords, cand)
            keyword_cache[key] = None if lexicon is None else \
                Featurizer(lexicon=lexicon).keyword_matrix(texts, cand.keyword_weight)
        return keyword_cache[key]

    # what candidates share is made once: term counts, each fold's TF-IDF per vocabulary,
    # its sentence features per sentence setting, keyword matrices per keyword setting
    matrices = fold_matrices(candidates, texts, all_texts, splits, corpus, workers, counts_cache)
    results = score_candidates(candidates, matrices, keyword_features, Y, splits, tags,
                               workers, progress)
    best = max(range(len(results)), key=lambda i: (results[i][0], results[i][1], -i))
    _, _, chosen, calib, oof_proba, cv_scores, cv_decisions = results[best]
    add_intervals(cv_scores, Y, cv_decisions, tags, seed=base.seed)

    thresholds, fell_back = thresholds_with_fallback(Y, oof_proba, chosen.min_f1)
    # A tag left on the fallback cut-off keeps the balanced logistic regression's own
    # probability, for which 0.5 is the natural boundary; Platt scaling fitted on a handful
    # of positives would push every score below it and the tag would never be given.
    calib[fell_back] = (1.0, 0.0)
    # with the vocabulary from all documents, the search already fitted the final vectorizer
    vec = matrices[vocabulary_key(chosen)][1]
    matrices.clear()
    if vec is None:
        vec, X = final_tfidf(chosen, texts, counts_cache)
    else:
        X = vec.transform(texts)
    counts_cache.clear()
    K = keyword_features(chosen)
    sentence_coef = sentence_intercept = None
    extra = K
    if chosen.sentences:
        X_sent = corpus_rows(corpus, vec.vocabulary_, vec.ngram_range, vec.idf_,
                             cue_value=chosen.sentence_cues)
        n = len(train_docs)
        S = out_of_fold(X_sent, corpus, n, np.arange(n), [te for _, te in splits],
                        C=chosen.sentence_C, seed=chosen.seed, n_jobs=workers,
                        hard_weight=chosen.hard_negative_weight)
        extra = stack(K, S)
        sentence_coef, sentence_intercept = fit_scorers(
            X_sent, corpus.labels, C=chosen.sentence_C, seed=chosen.seed, n_jobs=workers,
            weights=sentence_weights(corpus, np.arange(len(corpus.labels)), chosen.hard_negative_weight))
    clf = quiet_fit(make_classifier(chosen, workers),
                    canonical(with_keywords(X * chosen.ngram_weight, extra)), Y)
    if progress:
        progress(1)
    raw_coef = np.vstack([e.coef_ for e in clf.estimators_]).astype(np.float64)
    raw_coef[:, :len(vec.vocabulary_)] *= chosen.ngram_weight  # the model reads unscaled TF-IDF
    raw_intercept = np.array([float(e.intercept_[0]) for e in clf.estimators_])
    # Platt scaling folded into the linear model: sigmoid(a (w.x + c) + b)
    coef = raw_coef * calib[:, [0]]
    intercept = raw_intercept * calib[:, 0] + calib[:, 1]
    params = saved_vectorizer_params(chosen)
    words, unseen_share = training_words(all_texts, folds=base.folds, seed=base.seed)

    model = TaggerModel(
        tags=list(tags), vocabulary=dict(vec.vocabulary_), idf=np.asarray(vec.idf_, dtype=np.float64),
        vectorizer_params=params, coef=coef, intercept=intercept,
        thresholds=thresholds, settings=chosen,
        keywords=keywords if K is not None else [],
        sentence_coef=sentence_coef, sentence_intercept=sentence_intercept,
        out_of_fold=oof_proba, training_hashes=document_hashes(train_docs),
        training_words=words,
        metadata={
            "n_train_docs": len(train_docs),
            "n_unlabelled_docs": len(all_texts) - len(texts),
            "tag_counts": {t: int(c) for t, c in zip(tags, Y.sum(axis=0))},
            "training_data": fingerprint(train_docs, tags),
            "cv": {"folds": len(splits), "seed": base.seed, **cv_scores,
                   "note": "out-of-fold decisions, each fold's thresholds chosen on the other "
                           "folds; the search picked the best of the candidates below on these "
                           "same folds, so `tagger evaluate --cv` gives the unbiased estimate"},
            "calibration": {t: {"a": float(a), "b": float(b)} for t, (a, b) in zip(tags, calib)},
            "search": [{"settings": {k: v for k, v in asdict(r[2]).items() if search and k in search},
                        "micro_f1": r[0], "macro_f1": r[1]} for r in results],
            "schema": [asdict(t) for t in schema.tags] if schema else [{"id": t} for t in tags],
            "command": command,
            "date_range": date_range(train_docs),
            "sources": source_counts(train_docs),
        })
    model.metadata["drift"] = _drift_baseline(model, docs, oof_proba, unseen_share, chosen.seed)
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
