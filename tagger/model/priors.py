"""A new batch's tag rates estimated without labels, and scores adapted to them.

When the share of documents carrying a tag changes (a topic grows or fades), a model's
probabilities still assume the rate it was trained on. The EM procedure of Saerens,
Latinne & Decaestecker (2002, "Adjusting the outputs of a classifier to new a priori
probabilities: a simple procedure", Neural Computation 14) estimates the new rate from the
model's own probabilities on the unlabelled batch, each tag a binary problem:

    p'_i  = (pi'/pi) p_i / ((pi'/pi) p_i + ((1 - pi')/(1 - pi)) (1 - p_i))
    pi'  <- mean_i p'_i          (repeated from pi' = pi until it settles)

``pi`` is the rate the model's probabilities correspond to, ``pi'`` the batch's. Its first
step alone, the batch's mean probability (probabilistic classify-and-count), is the other
estimate offered: EM overshoots when the scores on new articles are not calibrated as on
the training ones, and on the temporal benchmark the mean was the closer estimate
(benchmarks/priors.py). The adjusted probability is the same as moving the tag's logit by
logit(pi') - logit(pi), so an adapted model is the model with its intercepts moved:
thresholds then apply to the adjusted probabilities, and everything else (evidence,
drift figures, output formats) is unchanged.

It assumes the tags' rates changed but not what a tagged article looks like (prior
shift, not concept drift); on documents unlike the training ones it can move the rates
the wrong way, which is why it is an option (docs/tagging.md says what it did here).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ..config import PRIOR_ESTIMATES
from ..errors import ModelError, TaggerError
from .sentencescores import sigmoid

MAX_ITERATIONS = 1000
TOLERANCE = 1e-6        # stop when no tag's estimated rate moves by more than this
PROBABILITY_FLOOR = 1e-6  # probabilities kept in [floor, 1 - floor]: a 0 or 1 never moves
RATE_FLOOR = 1e-4       # estimated rates kept in [floor, 1 - floor]: 0 would be absorbing
MIN_DOCUMENTS = 30      # fewer documents say too little about a batch's tag rates


@dataclass(frozen=True)
class PriorEstimate:
    """Per tag: the training rate the model assumes, the batch's estimated rate, and how
    the EM went; ``n_docs`` documents were scored."""

    tags: tuple
    training: np.ndarray
    estimated: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    n_docs: int
    method: str = "em"

    @property
    def shift(self) -> np.ndarray:
        """What each tag's logit moves by: log-odds(estimated) - log-odds(training)."""
        return log_odds(self.estimated) - log_odds(self.training)

    def adjust(self, proba: np.ndarray) -> np.ndarray:
        """The probabilities adjusted to the estimated rates."""
        return adjust(proba, self.training, self.estimated)

    def to_dict(self) -> dict:
        """For a report: {"documents", "method", "tags": {tag: {training, estimated, ...}}}."""
        return {"documents": self.n_docs, "method": self.method,
                "about": PRIOR_ESTIMATES.entry(self.method).help,
                "tags": {t: {"training": round(float(a), 6), "estimated": round(float(b), 6),
                             "iterations": int(i), "converged": bool(c)}
                         for t, a, b, i, c in zip(self.tags, self.training, self.estimated,
                                                  self.iterations, self.converged)}}

    def summary(self) -> str:
        """The rates in a few words, for a summary line."""
        return f"tag rates adapted ({self.method}; training -> estimated): " + ", ".join(
            f"{t} {a:.1%} -> {b:.1%}" for t, a, b in zip(self.tags, self.training, self.estimated))


def log_odds(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    return np.log(p) - np.log1p(-p)


def adjust(proba: np.ndarray, training: np.ndarray, estimated: np.ndarray) -> np.ndarray:
    """Probabilities computed under the ``training`` rates, moved to the ``estimated`` ones
    (Saerens et al.'s formula, written on the logit scale)."""
    p = np.clip(np.asarray(proba, dtype=np.float64), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    return sigmoid(log_odds(p) + (log_odds(estimated) - log_odds(training)))


def estimate_priors(proba: np.ndarray, training: np.ndarray, tags=None, *, method: str = "em",
                    max_iterations: int = MAX_ITERATIONS,
                    tolerance: float = TOLERANCE) -> PriorEstimate:
    """Each tag's rate in the batch whose calibrated probabilities are ``proba``
    (n_docs x n_tags), by EM from the ``training`` rates (one per tag); with ``method``
    "mean", by its first step alone (the mean probability).

    Each tag is its own binary problem and stops on its own once its rate moves by less
    than ``tolerance``, or after ``max_iterations``; the result depends only on the
    documents' probabilities and their order, not on how they were computed."""
    if method not in PRIOR_ESTIMATES:
        raise TaggerError(f"unknown way to estimate tag rates {method!r} "
                          f"(use {', '.join(PRIOR_ESTIMATES)})")
    if method == "mean":
        max_iterations = 1
    P = np.clip(np.asarray(proba, dtype=np.float64), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    training = np.clip(np.asarray(training, dtype=np.float64), RATE_FLOOR, 1 - RATE_FLOOR)
    if P.ndim != 2 or P.shape[1] != len(training):
        raise ValueError(f"probabilities of shape {P.shape} for {len(training)} training rates")
    if len(P) < MIN_DOCUMENTS:
        raise TaggerError(f"estimating the tag rates of a batch needs at least {MIN_DOCUMENTS} "
                          f"documents; {len(P)} given")
    logits = log_odds(P)
    estimated = training.copy()
    iterations = np.zeros(len(training), dtype=np.int64)
    active = np.ones(len(training), dtype=bool)
    for _ in range(max_iterations):
        if not active.any():
            break
        cols = np.flatnonzero(active)
        z = logits[:, cols] + (log_odds(estimated[cols]) - log_odds(training[cols]))
        new = np.clip(sigmoid(z).mean(axis=0), RATE_FLOOR, 1 - RATE_FLOOR)
        moved = np.abs(new - estimated[cols])
        estimated[cols] = new
        iterations[cols] += 1
        active[cols[moved < tolerance]] = False
    tags = tuple(tags) if tags is not None else tuple(str(k) for k in range(len(training)))
    return PriorEstimate(tags=tags, training=training, estimated=estimated, iterations=iterations,
                         converged=~active | (method == "mean"), n_docs=len(P), method=method)


def training_priors(model) -> np.ndarray:
    """The tag rates a model's probabilities correspond to.

    Training fits each tag's logistic regression with balanced class weights (as if
    positives and negatives were equally common), then Platt scaling on the out-of-fold
    logits of the labelled documents: a logistic fit to their labels, whose mean
    probability matches their tag rate. So a calibrated tag's probabilities assume the
    labelled training documents' rate, tag_counts / n_train_docs (unlabelled documents
    only give the vocabulary). A tag left uncalibrated (too few positives, or on the 0.5
    fallback threshold, where calibration is the identity) keeps the balanced fit's own
    probability, which assumes a rate of one half; without balanced weights, the
    labelled rate again.
    """
    meta = model.metadata
    try:
        counts, n = meta["tag_counts"], int(meta["n_train_docs"])
        rates = np.array([counts[t] / n for t in model.tags], dtype=np.float64)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        raise ModelError("this model does not record its training tag rates "
                         "(tag_counts, n_train_docs), so its scores cannot be adapted to a "
                         "batch's rates; retrain it") from None
    if getattr(model.settings, "class_weight", None) == "balanced":
        calibration = meta.get("calibration") or {}
        for k, tag in enumerate(model.tags):
            c = calibration.get(tag)
            if c is None or (float(c["a"]) == 1.0 and float(c["b"]) == 0.0):
                rates[k] = 0.5
    return rates


def estimate_for(model, proba: np.ndarray, method: str = "em") -> PriorEstimate:
    """The batch's tag rates, from the model's probabilities of its documents."""
    return estimate_priors(proba, training_priors(model), model.tags, method=method)


def adapted_model(model, estimate: PriorEstimate):
    """The model whose probabilities are adjusted to the estimated rates: its intercepts
    moved by each tag's shift (the Platt scaling is already folded into them)."""
    # a shallow copy shares what the model built to tag (n-gram counter, keyword lexicon),
    # which does not depend on the intercepts, rather than building it again
    adapted = copy.copy(model)
    adapted.intercept = np.asarray(model.intercept, dtype=np.float64) + estimate.shift
    return adapted


def adapt(model, texts, method: str = "em") -> tuple:
    """(adapted model, estimate) for a batch of texts held in memory: a first pass for
    the probabilities, then the estimate."""
    estimate = estimate_for(model, model.predict_proba(texts), method)
    return adapted_model(model, estimate), estimate
