"""Is the new model better? Two saved models scored on the same labelled documents, none
of them a training document of either, and the paired bootstrap difference of their F1s."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import ModelError, TrainingDataError
from ..io.records import Document
from ..labels.attach import binarize, labelled
from ..model.bootstrap import paired_differences
from ..model.metrics import score
from ..model.provenance import date_range, model_identity, seen_in_training


def _left_out(models: dict, test: list[Document]) -> tuple[list[Document], dict]:
    """The labelled documents none of the models was trained on, and per model how many of
    those given were its training documents (None: it does not record them)."""
    keep = np.ones(len(test), dtype=bool)
    counts = {}
    for name, model in models.items():
        seen = seen_in_training(model.training_hashes, test)
        counts[name] = None if seen is None else int(seen.sum())
        if seen is not None:
            keep &= ~seen
    return [d for d, k in zip(test, keep) if k], counts


def shared_tags(new, old) -> list[str]:
    """The tags both models have, in the new model's order."""
    tags = [t for t in new.tags if t in old.tags]
    if not tags:
        raise ModelError(f"the two models share no tag (new: {', '.join(new.tags)}; old: "
                         f"{', '.join(old.tags)})")
    return tags


def compare(new, old, docs: Sequence[Document], *, sources: dict | None = None,
            n_boot: int = 1000, seed: int = 0) -> dict:
    """Score ``new`` and ``old`` on the labelled documents among ``docs`` that neither was
    trained on (by the hashes each keeps), over the tags both have: each model's scores,
    and the paired bootstrap difference (new - old) of micro-F1, macro-F1 and each tag's
    F1 with its 95% interval. ``sources`` ({"data": [...], "labels": [...]}, file names)
    is kept in the result with the scored documents' dates."""
    tags = shared_tags(new, old)
    test = labelled(docs)
    if not test:
        raise ModelError("none of the documents given carry labels: give labels, or data "
                         "with a 'tags' field")
    kept, in_training = _left_out({"new": new, "old": old}, test)
    if not kept:
        raise TrainingDataError(f"all {len(test)} labelled documents given were training "
                                "documents of one model or the other; score documents "
                                "neither was trained on")
    Y = binarize(kept, tags)
    texts = [d.content for d in kept]
    decisions = {}
    for name, model in (("new", new), ("old", old)):
        cols = [model.tags.index(t) for t in tags]
        decisions[name] = model.decide(model.predict_proba(texts))[:, cols]
    return {
        "n_docs": len(kept), "tags": tags,
        "documents": {**(sources or {}), "dates": date_range(kept)},
        "training_documents": {"given": len(test), "left_out": len(test) - len(kept),
                               "new": in_training["new"], "old": in_training["old"]},
        "new": {"model": model_identity(new), **score(Y, decisions["new"], tags)},
        "old": {"model": model_identity(old), **score(Y, decisions["old"], tags)},
        "difference": paired_differences(Y, decisions["new"], decisions["old"], tags,
                                         n_boot=n_boot, seed=seed),
        "only_new": [t for t in new.tags if t not in tags],
        "only_old": [t for t in old.tags if t not in tags]}

