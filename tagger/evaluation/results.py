"""A saved model's decisions on labelled documents, and the scores they earn."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..errors import ModelError, TrainingDataError
from ..io.records import Document
from ..labels.attach import binarize, labelled
from ..model.bootstrap import add_intervals
from ..model.metrics import round4, score
from ..model.provenance import date_range, model_identity, seen_in_training
from .calibration import expected_calibration_error
from .slices import by_slice, check_slicing


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
    # per document, each tag's best sentence ({tag: {"text", "start", "end", "score"}})
    evidence: list | None = None
    n_boot: int = 1000
    seed: int = 0
    # each document's date (YYYY-MM-DD or "") and outlet, for scores by period or source
    dates: list = field(default_factory=list)
    outlets: list = field(default_factory=list)
    by: str | None = None    # also score by this slicing (see tagger.evaluation.slices)
    # how many of the labelled documents given the model was trained on, and were they
    # left out: {"recorded", "given", "in_training", "left_out"}
    training: dict | None = None
    # the scored documents: {"data", "labels"} (file names) and "dates" (their range)
    documents: dict | None = None
    model: dict | None = None  # which model scored them (model_identity)
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
        ci = add_intervals(result, self.Y, self.P, self.tags, n_boot=self.n_boot, seed=self.seed)
        for k, tag in enumerate(self.tags):
            entry = result["per_tag"][tag]
            entry["ece"] = round4(expected_calibration_error(self.Y[:, k], self.proba[:, k]))
            entry["threshold"] = round4(self.thresholds[k])
        result["bootstrap"] = {"n_boot": ci["n_boot"], "seed": ci["seed"], "level": ci["level"]}
        if self.cv_folds:
            result["cv_folds"] = self.cv_folds
            result["threshold_note"] = (f"each tag's threshold is the median of the "
                                        f"{self.cv_folds} folds' thresholds")
        if self.training is not None:
            result["training_documents"] = dict(self.training)
        if self.documents is not None:
            result["documents"] = dict(self.documents)
        if self.model is not None:
            result["model"] = dict(self.model)
        if self.by:
            result["by_kind"] = self.by
            result["by"] = by_slice(self, self.by)
        return result


def evaluation(model, docs: Sequence[Document], *, include_training: bool = False,
               by: str | None = None, sources: dict | None = None) -> Evaluation:
    """Score a trained model on the labelled documents among ``docs``.

    Documents the model was trained on (the same id or the same text, by the hashes it
    keeps) are left out unless ``include_training``: a score on them says nothing of new
    articles. ``by`` also scores each year, quarter, month or source (see
    :mod:`.slices`). ``sources`` ({"data": [...], "labels": [...]}, file names) names the
    scored documents in the summary, beside their dates."""
    check_slicing(by)
    test = labelled(docs)
    if not test:
        raise ModelError("none of the documents given carry labels: give labels, or data "
                         "with a 'tags' field")
    seen = seen_in_training(model.training_hashes, test)
    training = {"recorded": seen is not None, "given": len(test),
                "in_training": None if seen is None else int(seen.sum()),
                "left_out": bool(seen is not None and seen.any() and not include_training)}
    if training["left_out"]:
        test = [d for d, s in zip(test, seen) if not s]
        if not test:
            raise TrainingDataError(f"all {training['given']} labelled documents given were "
                                    "in the model's training data, so a score on them says "
                                    "nothing of new articles; score documents it was not "
                                    "trained on")
    proba = model.predict_proba([d.content for d in test])
    return Evaluation(tags=list(model.tags), ids=[d.id for d in test], titles=[d.title for d in test],
                      Y=binarize(test, model.tags), proba=proba, P=model.decide(proba),
                      thresholds=np.asarray(model.thresholds), evidence=model.best_sentences(test),
                      dates=[d.date for d in test], outlets=[d.outlet for d in test], by=by,
                      training=training, documents={**(sources or {}), "dates": date_range(test)},
                      model=model_identity(model))


def evaluate(model, docs: Sequence[Document], **kwargs) -> dict:
    """Scores of a trained model on the labelled documents among ``docs`` (the JSON report);
    ``kwargs`` as for :func:`evaluation`."""
    return evaluation(model, docs, **kwargs).summary()
