"""The search's cross-validation: every candidate setting's out-of-fold scores, fitted a
fold at a time in worker processes, each candidate scored as soon as its folds are in."""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

from ..config import Settings, available_cpus
from . import metrics
from .platt import calibrate, fit_calibration
from .features import canonical, feature_key, fold_extra, vocabulary_key, with_keywords
from .thresholds import cross_validated_decisions


def make_classifier(settings: Settings, n_jobs: int | None = None):
    """One logistic regression per tag (the dual liblinear solver: fast for text)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    return OneVsRestClassifier(LogisticRegression(
        C=settings.C, class_weight=settings.class_weight, solver="liblinear", dual=True,
        max_iter=5000, random_state=settings.seed), n_jobs=n_jobs)


def quiet_fit(clf, X, Y):
    with warnings.catch_warnings():
        # a rare tag may be absent from a training fold; OneVsRest then predicts a constant
        warnings.filterwarnings("ignore", message="Label .* is present in all training")
        warnings.filterwarnings("ignore", message="Label not .* is present in all training")
        warnings.filterwarnings("ignore", message="Liblinear failed to converge")
        return clf.fit(X, Y)


def decision_logits(clf, X) -> np.ndarray:
    """Decision values (log-odds) of each tag; constant predictors give +-30."""
    out = np.empty((X.shape[0], len(clf.estimators_)))
    for k, est in enumerate(clf.estimators_):
        if hasattr(est, "decision_function") and hasattr(est, "coef_"):
            out[:, k] = est.decision_function(X)
        else:  # scikit-learn's _ConstantPredictor for a tag with one class in the fold
            out[:, k] = 30.0 if float(est.y_[0]) > 0.5 else -30.0
    return out


def _candidate_scores(settings: Settings, logits: np.ndarray, Y, splits):
    """Out-of-fold calibration, probabilities and CV decisions for one setting."""
    calib = fit_calibration(Y, logits)
    proba = calibrate(logits, calib)
    decisions = cross_validated_decisions(Y, proba, splits, settings.min_f1)
    return calib, proba, decisions


def _fold_logits(task: int, Xtr, Xte, extra_tr, extra_te, Ytr, classifiers: Sequence[Settings]):
    """(task, one fold's test logits from a classifier per setting, all on the same
    features): run in a worker process, so liblinear's random state is its own."""
    Xtr, Xte = canonical(with_keywords(Xtr, extra_tr)), canonical(with_keywords(Xte, extra_te))
    return task, [decision_logits(quiet_fit(make_classifier(s), Xtr, Ytr), Xte) for s in classifiers]


SMALL = 200  # labelled documents under which training runs in one process by default


def worker_count(n_jobs: int | None, n_docs: int) -> int:
    """``n_jobs``, but never more than the CPUs this process may use (more only cost
    memory: each worker holds the data); by default every CPU, or one for a few
    documents (starting worker processes would take longer than the work)."""
    cpus = available_cpus()
    if n_jobs is not None:
        return min(n_jobs, cpus)
    return 1 if n_docs < SMALL else cpus


def score_candidates(candidates: Sequence[Settings], matrices: dict, keyword_features,
                     Y: np.ndarray, splits, tags, n_jobs: int, progress=None) -> list:
    """Each candidate's cross-validated scores, as (micro-F1, macro-F1, settings,
    calibration, out-of-fold probabilities, scores, decisions), in candidate order.

    Candidates with the same features are fitted together, a task per fold, in ``n_jobs``
    processes; each candidate is scored (and ``progress`` told) once its folds are in."""
    from joblib import Parallel, delayed

    groups: dict = {}
    for i, cand in enumerate(candidates):
        groups.setdefault(feature_key(cand), []).append(i)
    tasks = [(members, f) for members in groups.values() for f in range(len(splits))]

    def task(t):
        members, f = tasks[t]
        first = candidates[members[0]]
        tr, te = splits[f]
        Xtr, Xte, S = matrices[vocabulary_key(first)][0][f]
        if first.ngram_weight != 1.0:  # the n-grams' scale (a part of the feature key)
            Xtr, Xte = Xtr * first.ngram_weight, Xte * first.ngram_weight
        extra_tr, extra_te = fold_extra(keyword_features(first), S, tr, te)
        return delayed(_fold_logits)(t, Xtr, Xte, extra_tr, extra_te, Y[tr],
                                     [candidates[i] for i in members])

    results: list = [None] * len(candidates)
    logits = {i: np.zeros(Y.shape) for i in range(len(candidates))}
    folds_in = {id(members): 0 for members in groups.values()}
    # results as they come (each candidate's are put in its own place, so the order they
    # come in changes nothing)
    with Parallel(n_jobs=n_jobs, return_as="generator_unordered") as parallel:
        for t, fold_logits in parallel(task(t) for t in range(len(tasks))):
            members, f = tasks[t]
            for i, z in zip(members, fold_logits):
                logits[i][splits[f][1]] = z
            folds_in[id(members)] += 1
            if folds_in[id(members)] < len(splits):
                continue
            for i in members:
                calib, proba, decisions = _candidate_scores(candidates[i], logits.pop(i), Y, splits)
                scored = metrics.score(Y, decisions, tags)
                results[i] = (scored["micro"]["f1"], scored["macro"]["f1"], candidates[i], calib,
                              proba, scored, decisions)
                if progress:
                    progress(1)
    return results
