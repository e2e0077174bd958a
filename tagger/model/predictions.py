"""Predictions: the tags given to a document, their scores, and their evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np

from ..io.records import Document
from .sentencescores import best_sentences


class Analysis(NamedTuple):
    """What a model computes for a slice of texts."""

    logits: np.ndarray   # (n_docs x n_tags)
    evidence: tuple | None  # (Sentences, scores (n_sentences x n_tags), best per doc and tag)
    features: object     # the feature matrix (CSR), when asked for
    tokens: object       # the texts' Tokens
    hits: list | None    # the n-gram occurrences (Featurizer.ngram_hits)
    sentence_rows: object = None  # the sentences' features (SentenceRows), when scored


@dataclass(frozen=True)
class Prediction:
    """Tags assigned to one document, with a probability per tag, and for each assigned
    tag its evidence: the best sentence of the document's text, with its span in the text
    (``{"text", "start", "end", "score"}``), when asked for; and the document's date
    (``YYYY-MM-DD``, "" when it has none)."""

    id: str
    tags: list[str]
    scores: dict[str, float]
    evidence: dict | None = None
    date: str = ""

    def to_dict(self) -> dict:
        out = {"id": self.id}
        if self.date:
            out["date"] = self.date
        out.update(tags=list(self.tags), scores=dict(self.scores))
        if self.evidence is not None:
            out["evidence"] = self.evidence
        return out


def evidence_of(docs: Sequence[Document], tags: Sequence[str], chosen: np.ndarray,
                best) -> list[dict]:
    """Per document, {tag: {"text", "start", "end", "score"}} for each chosen tag: its best
    sentence in the document's text (not its title), with offsets into the text."""
    out: list[dict] = [{} for _ in docs]
    if best is None:
        return out
    sentences, scores, which = best
    title = np.array([len(d.title) + 1 if d.title else 0 for d in docs], dtype=np.int64)
    in_text = sentences.start >= title[sentences.doc]
    if not in_text.all():  # the best of the text's sentences, leaving titles out
        _, which = best_sentences(np.where(in_text[:, None], scores, -1.0), sentences.doc, len(docs))
    for j, k in zip(*np.nonzero(chosen)):
        s = int(which[j, k])
        if s < 0 or not in_text[s]:
            continue
        start, end = int(sentences.start[s]) - int(title[j]), int(sentences.end[s]) - int(title[j])
        out[j][tags[k]] = {"text": docs[j].text[start:end], "start": start, "end": end,
                           "score": round(float(scores[s, k]), 6)}
    return out
