"""How far new documents are from a model's training documents: the counts behind a drift
warning, gathered while tagging, and the same figures measured on the training documents.

Three figures: the share of word tokens found in none of the training documents (new
names, new topics: the model keeps a hash of each word its training documents hold, not
the words), each tag's rate of being given, and the share of documents scored close to a
threshold (within :data:`NEAR_LOGIT` of it, where the model is unsure). The training side
is measured on documents the measure did not see (each part of the training documents
against the words of the others), so it says what a new document *like the training
ones* looks like, not what the model's own documents look like to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..text.featurizer import TEXT

NEAR_LOGIT = 1.0  # a document is "close to a threshold" within this many logits of one


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def threshold_gap(proba: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """How far each score is from its tag's threshold, in logits (where a step means the
    same at 0.02 as at 0.5)."""
    return np.abs(_logit(np.asarray(proba)) - _logit(np.asarray(thresholds)))


def near_threshold(proba: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Per document: is any tag's score within NEAR_LOGIT of its threshold?"""
    if proba.size == 0:
        return np.zeros(len(proba), dtype=bool)
    return (threshold_gap(proba, thresholds) < NEAR_LOGIT).any(axis=1)


@dataclass
class DriftCounts:
    """Counts over the documents tagged so far; added up chunk by chunk."""

    documents: int = 0
    tokens: int = 0
    unseen: int = 0              # tokens in none of the training documents
    near: int = 0                # documents with a tag close to its threshold
    given: list = field(default_factory=list)  # per tag, documents given it

    def add(self, *, tokens: int, unseen: int, decided: np.ndarray, near: np.ndarray) -> None:
        self.documents += len(decided)
        self.tokens += int(tokens)
        self.unseen += int(unseen)
        self.near += int(np.count_nonzero(near))
        per_tag = np.count_nonzero(decided, axis=0).tolist() if len(decided) else []
        self.given = [a + b for a, b in zip(self.given, per_tag)] if self.given else per_tag

    def merge(self, other: "DriftCounts") -> "DriftCounts":
        given = [a + b for a, b in zip(self.given, other.given)] if self.given and other.given \
            else list(self.given or other.given)
        return DriftCounts(self.documents + other.documents, self.tokens + other.tokens,
                           self.unseen + other.unseen, self.near + other.near, given)

    def to_dict(self) -> dict:
        return {"documents": self.documents, "tokens": self.tokens, "unseen": self.unseen,
                "near": self.near, "given": list(self.given)}

    @classmethod
    def from_dict(cls, d: dict) -> "DriftCounts":
        return cls(int(d["documents"]), int(d["tokens"]), int(d["unseen"]), int(d["near"]),
                   [int(x) for x in d["given"]])


def word_hashes(texts: Sequence[str], slice_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(hash of each word token, index of its document), a slice of texts at a time."""
    hashes, docs = [], []
    for i in range(0, len(texts), slice_size):
        t = TEXT.tokenize(texts[i:i + slice_size])
        hashes.append(t.hashes)
        docs.append(t.doc + i)
    if not hashes:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate(hashes), np.concatenate(docs)


def _count_unseen(hashes: np.ndarray, words: np.ndarray) -> int:
    if not len(hashes):
        return 0
    if not len(words):
        return len(hashes)
    at = np.minimum(np.searchsorted(words, hashes), len(words) - 1)
    return int(np.count_nonzero(words[at] != hashes))


def unseen_tokens(analysis, texts: Sequence[str], words: np.ndarray | None) -> tuple[int, int]:
    """(word tokens, tokens in none of the training documents) in these texts, from the
    model's own tokens of them when it has them; (tokens, 0) when ``words`` is None."""
    hashes = analysis.tokens.hashes if analysis.tokens is not None else word_hashes(list(texts))[0]
    if words is None:
        return len(hashes), 0
    total = len(hashes)
    unigrams = [at for n, at, _ in (analysis.hits or ()) if n == 1]
    if unigrams:  # a word of the model's vocabulary came from a training document: only
        rest = np.ones(total, dtype=bool)  # the others need looking up
        rest[unigrams[0]] = False
        hashes = hashes[rest]
    return total, _count_unseen(hashes, words)


def training_words(texts: Sequence[str], *, folds: int = 5, seed: int = 0
                   ) -> tuple[np.ndarray, float]:
    """Every word the training documents hold, as sorted unique token hashes (what the
    model has seen, kept instead of the words themselves); and the share of word tokens in
    none of them for documents like them: each of ``folds`` parts of the training
    documents against the words of the others."""
    hashes, doc = word_hashes(list(texts))
    words = np.unique(hashes)
    if not len(hashes):
        return words, 0.0
    part = np.random.default_rng(seed).permutation(len(texts)) % max(2, folds)
    token_part = part[doc]
    unseen = 0
    for f in range(max(2, folds)):
        held = token_part == f
        if held.any():
            unseen += _count_unseen(hashes[held], np.unique(hashes[~held]))
    return words, round(unseen / len(hashes), 6)


def score_baseline(proba: np.ndarray, thresholds: np.ndarray) -> dict:
    """Each tag's rate of being given, and the share of documents close to a threshold."""
    decided = proba >= thresholds
    return {"near_share": round(float(near_threshold(proba, thresholds).mean()), 6),
            "tag_rates": [round(float(x), 6) for x in decided.mean(axis=0)],
            "documents": int(len(proba))}
