"""Which hand labels are probably wrong: confident learning, per tag.

Each (article, tag) decision is judged by the probability the model gives the tag when the
article was *not* in its training data: the out-of-fold probabilities of the same
cross-validation that trains the model. Per tag, as in confident learning (Northcutt,
Jiang and Chuang, 2021), the bar for "confidently has the tag" is the mean out-of-fold
probability of the articles labelled with it, and the bar for "confidently has not" is the
mean of 1 - p over the articles labelled without it. A decision is suspect when the article
clears the bar of the other answer; suspects are ranked by the probability of that other
answer (``confidence``). Written from the paper; cleanlab is not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..io.records import Document
from ..labels.attach import binarize, labelled
from ..labels.tagschema import TagSchema


@dataclass(frozen=True)
class Suspect:
    """A decision that is probably wrong: the label ``given`` (1: tagged), the one
    ``suggested``, the out-of-fold probability of the suggested one, and for a suggested
    tag the sentence behind it."""

    id: str
    tag: str
    given: int
    suggested: int
    confidence: float
    evidence: str = ""

    def to_dict(self) -> dict:
        return {"id": self.id, "tag": self.tag, "given": self.given, "suggested": self.suggested,
                "confidence": round(self.confidence, 6), "evidence": self.evidence}


def suspects(Y: np.ndarray, proba: np.ndarray) -> list[tuple[int, int, float]]:
    """(document, tag, confidence) of every suspect decision, most confident first."""
    out = []
    for k in range(Y.shape[1]):
        y, p = Y[:, k].astype(bool), proba[:, k]
        if y.all() or not y.any():
            continue  # one answer only: no bar for the other
        has_bar = p[y].mean()            # confidently tagged: p at least this
        has_not_bar = (1 - p[~y]).mean()  # confidently not: 1 - p at least this
        for i in np.flatnonzero(~y & (p >= has_bar)):
            out.append((int(i), k, float(p[i])))
        for i in np.flatnonzero(y & (1 - p >= has_not_bar)):
            out.append((int(i), k, float(1 - p[i])))
    out.sort(key=lambda s: (-s[2], s[0], s[1]))
    return out


def audit(docs: Sequence[Document], *, schema: TagSchema | None = None, settings=None,
          search: dict | bool | None = None, k: int | None = 50,
          n_jobs: int | None = None) -> list[Suspect]:
    """The ``k`` decisions among the labelled ``docs`` most likely wrong (all, with None).

    Trains as :func:`tagger.train` does (``search`` as there; by default none, the given
    ``settings``), and judges each decision by its out-of-fold probability."""
    from ..model.train import train

    model = train(docs, schema=schema, settings=settings, search=search, n_jobs=n_jobs)
    data = labelled(docs)
    Y = binarize(data, model.tags)
    found = suspects(Y, model.out_of_fold)[:k]
    need = sorted({i for i, kk, _ in found if not Y[i, kk]})
    best = dict(zip(need, model.best_sentences([data[i] for i in need]))) if need else {}
    return [Suspect(id=data[i].id, tag=model.tags[kk], given=int(Y[i, kk]),
                    suggested=int(not Y[i, kk]), confidence=conf,
                    evidence=best.get(i, {}).get(model.tags[kk], {}).get("text", ""))
            for i, kk, conf in found]
