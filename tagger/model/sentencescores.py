"""Sentence features: each sentence scored on its own, per tag, by a linear scorer.

A sentence's features are its vocabulary n-grams (those within the sentence), each
occurrence adding its IDF weight, divided by the root of the sum of the occurrences'
squared weights (the L2 norm whenever no n-gram repeats inside the sentence, as nearly
always). They are computed from the document's own tokens (one tokenization for the
document's features, its keywords and its sentences), the same way in training and in
tagging. A document's sentence features are, per tag, its best sentence's probability.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

import numpy as np

from ..text import compiled
from ..text.featurizer import Featurizer
from ..text.sentences import Sentences
from ..text.tokens import Tokens


class SentenceRows(NamedTuple):
    """The sentences of a chunk, and their features as sparse entries."""

    sentences: Sentences
    rows: np.ndarray    # sentence of each entry
    cols: np.ndarray    # feature (vocabulary term) of each entry
    values: np.ndarray  # its weight

    @property
    def n(self) -> int:
        return len(self.sentences.doc)


def sentence_rows(featurizer: Featurizer, tokens: Tokens, idf: np.ndarray, hits=None,
                  found: Sentences | None = None, cues=None, cue_value: float = 0.0
                  ) -> SentenceRows:
    """Sentence features of a chunk's documents, from their tokens (and the featurizer's
    n-gram hits of them, and their sentences, if already found); with a
    :class:`~tagger.text.cues.CueMatcher`, each cue a sentence holds adds ``cue_value`` in
    a column after the terms'."""
    found, sent, hits, held = _located(featurizer, tokens, hits, found, cues)
    entries = numpy_entries if compiled.kernel is None else compiled_entries
    return SentenceRows(found, *entries(sent, hits, idf, len(found.start), held, cue_value))


def scored_sentences(featurizer: Featurizer, tokens: Tokens, idf: np.ndarray, coef: np.ndarray,
                     intercept: np.ndarray, coef_t: np.ndarray | None = None, hits=None,
                     cues=None, cue_value: float = 0.0, entries: bool = False
                     ) -> tuple[Sentences, np.ndarray, SentenceRows | None]:
    """(the sentences of a chunk, their logits by linear scorers over their features, the
    features if ``entries``): :func:`sentence_logits` of :func:`sentence_rows` (their
    arguments; ``coef_t`` is ``coef.T``, C-contiguous, if the caller keeps one), to the bit.
    Where the compiled kernel serves, the logits are summed as the hits are found, without
    making the features' entries: their products() would add them in that very order."""
    if entries or compiled.kernel is None or len(intercept) > SUMMED_FIRST_ABOVE:
        rows = sentence_rows(featurizer, tokens, idf, hits, cues=cues, cue_value=cue_value)
        return rows.sentences, sentence_logits(rows, coef, intercept, coef_t), rows
    found, sent, hits, held = _located(featurizer, tokens, hits, None, cues)
    coef_t = np.ascontiguousarray(coef.T) if coef_t is None else coef_t
    out = np.zeros((len(found.start), len(intercept)))
    compiled.kernel.sentence_scores(
        sent, [(int(n), at, feat) for n, at, feat in hits], np.ascontiguousarray(idf, dtype=np.float64),
        len(found.start), None if held is None else np.ascontiguousarray(held, dtype=bool),
        float(cue_value), coef_t, out)
    return found, out + intercept, None


def _located(featurizer: Featurizer, tokens: Tokens, hits, found: Sentences | None, cues):
    """(the sentences, each token's sentence, the n-gram hits, the cues each sentence
    holds or None): what the sentences' features are made of."""
    found = featurizer.sentences(tokens) if found is None else found
    text = tokens.chars
    begin = found.start + text.starts[found.doc]  # places in the chunk, in order
    end = found.end + text.starts[found.doc]
    sent = token_sentences(tokens, begin, end)
    hits = featurizer.ngram_hits(tokens) if hits is None else hits
    held = None if cues is None else cues.features(tokens, sent, len(begin))
    return found, sent, hits, held


def token_sentences(tokens: Tokens, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Each token's sentence among sentences [begin, end) in the chunk (in order), -1 for
    a token in none (before the first, or past its sentence's end: a bullet)."""
    if compiled.kernel is not None:
        sent = np.empty(len(tokens.starts), dtype=np.int64)
        compiled.kernel.token_sentences(tokens.starts, tokens.ends, begin, end, sent)
        return sent
    # count the sentences begun at or before each token (one search per sentence, not per
    # token)
    first = np.searchsorted(tokens.starts, begin)
    sent = np.cumsum(np.bincount(first, minlength=len(tokens.starts) + 1)[:-1]) - 1
    if len(end):
        sent[tokens.ends > end.take(np.maximum(sent, 0))] = -1
    return sent


def numpy_entries(sent: np.ndarray, hits, idf: np.ndarray, n_sentences: int,
                  cues: np.ndarray | None, cue_value: float):
    """(rows, cols, values) of the sentences' features, by sentence: each n-gram hit inside
    a sentence (``sent``: each token's sentence) weighs its IDF over the sentence's L2
    norm; then each cue of the (n_sentences x n_cues) ``cues`` a sentence holds."""
    rows, cols = [], []
    for n, at, feat in hits:
        s = sent.take(at)  # take(): a fraction of fancy indexing's cost, here and below
        ok = (s >= 0) & (s == sent.take(at + n - 1))
        rows.append(s[ok])
        cols.append(feat[ok])
    rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    cols = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    weight = idf.take(cols)
    norms = np.sqrt(np.bincount(rows, weights=weight * weight, minlength=n_sentences))
    norms[norms == 0.0] = 1.0
    values = weight / norms.take(rows)
    if cues is not None:
        at, cue = np.nonzero(cues)
        rows = np.concatenate([rows, at])
        cols = np.concatenate([cols, len(idf) + cue])
        values = np.concatenate([values, np.full(len(at), cue_value)])
    # by sentence, each sentence's entries in the order found (n-grams, then cues), so any
    # sum over a sentence's entries adds them as they were found; the sort is stable, and
    # quick: the entries come in a few runs already in order (one per n-gram length)
    order = np.argsort(rows, kind="stable")
    return rows.take(order), cols.take(order), values.take(order)


def compiled_entries(sent: np.ndarray, hits, idf: np.ndarray, n_sentences: int,
                     cues: np.ndarray | None, cue_value: float):
    """:func:`numpy_entries` by the compiled kernel: counted, then placed by sentence."""
    room = sum(len(at) for _, at, _ in hits) + (0 if cues is None else int(np.count_nonzero(cues)))
    rows, cols = np.empty(room, dtype=np.int64), np.empty(room, dtype=np.int64)
    values = np.empty(room)
    n = compiled.kernel.sentence_entries(
        sent, [(int(n), at, feat) for n, at, feat in hits], np.ascontiguousarray(idf, dtype=np.float64),
        n_sentences, None if cues is None else np.ascontiguousarray(cues, dtype=bool), float(cue_value),
        rows, cols, values)
    return rows[:n], cols[:n], values[:n]


def sentence_matrix(rows: SentenceRows, n_terms: int):
    """The sentence features as a CSR matrix (sentences x terms)."""
    import scipy.sparse as sp

    X = sp.csr_matrix((rows.values, (rows.rows, rows.cols)), shape=(rows.n, n_terms))
    X.sum_duplicates()
    return X


# Over this many tags, a sentence's repeated entries are summed before the products: how such
# models were always scored (scipy's matrix product); at most this many, each entry is added
# in turn (sparse_products), which scored_sentences' kernel does without making the entries
SUMMED_FIRST_ABOVE = 16


def sentence_logits(rows: SentenceRows, coef: np.ndarray, intercept: np.ndarray,
                    coef_t: np.ndarray | None = None) -> np.ndarray:
    """(n_sentences x n_tags) logits of linear scorers over the sentence features
    (``coef_t``: ``coef.T``, C-contiguous, if the caller keeps one)."""
    if len(intercept) > SUMMED_FIRST_ABOVE:
        return np.asarray(sentence_matrix(rows, coef.shape[1]) @ coef.T) + intercept
    coef_t = np.ascontiguousarray(coef.T) if coef_t is None else coef_t
    return sparse_products(rows.rows, rows.cols, rows.values, rows.n, coef_t) + intercept


# entries summed by NumPy before scipy is imported to sum the rest (a tenth of a second,
# once): a short run never pays for it, a long one soon makes it up; the bits are the same
SPARSE_AFTER = 1_000_000
summed_by_numpy = 0


def sparse_products(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n_rows: int,
                    weights_t: np.ndarray) -> np.ndarray:
    """``X @ weights_t`` for the sparse X of entries (rows, cols, values), the rows in order.

    Each row's products are added one at a time from zero, in entry order, as
    ``np.bincount(rows, weights=values * weights_t[cols, k])`` adds them per column k, so
    the scores do not depend on how they were summed. scipy's CSR product does just that
    (no fused multiply-add; tests/model/test_scores.py checks the bits) in a third of the time:
    it sums all but the first entries a process sums, which the bincounts do."""
    global summed_by_numpy
    if compiled.kernel is not None:  # the same sums in one loop, scipy never imported
        out = np.zeros((n_rows, weights_t.shape[1]))
        compiled.kernel.products(rows.astype(np.int64, copy=False), cols.astype(np.int64, copy=False),
                                 values.astype(np.float64, copy=False), weights_t, out)
        return out
    if summed_by_numpy < SPARSE_AFTER and "scipy.sparse" not in sys.modules:
        summed_by_numpy += len(rows)
        out = np.empty((n_rows, weights_t.shape[1]))
        for k in range(weights_t.shape[1]):
            out[:, k] = np.bincount(rows, weights=values * weights_t[:, k].take(cols),
                                    minlength=n_rows)
        return out
    import scipy.sparse as sp

    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    X = sp.csr_matrix((values, cols, indptr), shape=(n_rows, weights_t.shape[0]))
    return np.asarray(X @ weights_t)


def row_products(F: np.ndarray, W: np.ndarray) -> np.ndarray:
    """F @ W.T for a few dense columns, added column by column: each document's result does
    not depend on the others in its batch (a BLAS product's blocking may)."""
    out = np.zeros((F.shape[0], W.shape[0]))
    for j in range(F.shape[1]):
        out += np.outer(F[:, j], W[:, j])
    return out


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def best_sentences(scores: np.ndarray, doc: np.ndarray, n_docs: int):
    """Per document and tag, the best sentence's score (0 without sentences) and its index
    among the chunk's sentences (-1 without): the first best, in reading order."""
    best = np.zeros((n_docs, scores.shape[1]))
    which = np.full((n_docs, scores.shape[1]), -1, dtype=np.int64)
    if len(doc) == 0:
        return best, which
    present = np.flatnonzero(np.bincount(doc, minlength=n_docs))
    first = np.searchsorted(doc, present)
    top = np.maximum.reduceat(scores, first, axis=0)
    best[present] = top
    index = np.arange(len(doc))[:, None]
    at_top = np.where(scores == top[np.searchsorted(present, doc)], index, len(doc))
    which[present] = np.minimum.reduceat(at_top, first, axis=0)
    return best, which
