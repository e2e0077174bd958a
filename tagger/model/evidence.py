"""Learning from evidence: per tag, a sentence scorer trained on the labels' evidence
sentences, and the out-of-fold sentence features the document model is trained on.

A sentence is a positive example of a tag when it overlaps one of the tag's evidence
sentences, and a negative one when its article was read and not given the tag; the other
sentences of an article given the tag say nothing either way and are left out.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple, Sequence

import numpy as np

from ..io.records import Document
from ..text.ngrams import NgramCounter
from ..text.sentences import sentences_of
from ..text.tokens import Powers, tokenize
from .sentences import best_sentences, sentence_matrix, sentence_rows, sigmoid

CHUNK = 256  # documents tokenized at a time, as tagging does


def has_evidence(docs: Sequence[Document]) -> bool:
    return any(d.evidence for d in docs)


class Corpus(NamedTuple):
    """The training documents' tokens (a chunk at a time) and their sentences' labels."""

    chunks: list           # Tokens per chunk of CHUNK documents
    sentences: list        # their Sentences, per chunk
    labels: np.ndarray     # (n_sentences x n_tags): 1 evidence, 0 not the tag, -1 unknown
    doc: np.ndarray        # each sentence's document


def tokenized(docs: Sequence[Document], tags: Sequence[str]) -> Corpus:
    """Tokens, sentences and sentence labels of the labelled documents, once for every
    vocabulary."""
    powers = Powers()
    chunks, found_per_chunk, labels, sent_doc = [], [], [], []
    for i in range(0, len(docs), CHUNK):
        part = docs[i:i + CHUNK]
        tokens = tokenize([d.content for d in part], powers)
        chunks.append(tokens)
        found = sentences_of(tokens)
        found_per_chunk.append(found)
        L = np.zeros((len(found.doc), len(tags)), dtype=np.int8)
        for j, d in enumerate(part):
            rows = np.flatnonzero(found.doc == j)
            L[rows] = _sentence_labels(d, tags, found.start[rows], found.end[rows])
        labels.append(L)
        sent_doc.append(found.doc + i)
    return Corpus(chunks, found_per_chunk, np.vstack(labels) if labels else np.zeros((0, len(tags)), np.int8),
                  np.concatenate(sent_doc) if sent_doc else np.zeros(0, np.int64))


def _sentence_labels(doc: Document, tags, starts, ends) -> np.ndarray:
    given = set(doc.tags or ())
    L = np.zeros((len(starts), len(tags)), dtype=np.int8)
    evidence = dict(doc.evidence)
    content = doc.content
    for k, tag in enumerate(tags):
        if tag not in given:
            continue
        L[:, k] = -1
        for sentence in evidence.get(tag, ()):
            at = content.find(sentence)
            while at >= 0:
                L[(starts < at + len(sentence)) & (ends > at), k] = 1
                at = content.find(sentence, at + 1)
    return L


def corpus_rows(corpus: Corpus, vocabulary: dict, ngram_range, idf: np.ndarray):
    """Every training sentence's features for one vocabulary: a CSR matrix (sentences x
    terms)."""
    import scipy.sparse as sp

    counter = NgramCounter(vocabulary, tuple(ngram_range))
    parts = [sentence_matrix(sentence_rows(counter, t, idf, found=f), len(vocabulary))
             for t, f in zip(corpus.chunks, corpus.sentences)]
    return sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, len(vocabulary)))


def fit_scorers(X, L: np.ndarray, *, C: float, seed: int, n_jobs: int | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """(coef, intercept) of one logistic regression per tag over the sentences whose label
    is known; a tag without both kinds of example scores every sentence 0. Tags are fitted
    in ``n_jobs`` processes (liblinear's random state is shared by threads)."""
    from joblib import Parallel, delayed
    from sklearn.linear_model import LogisticRegression

    def fit(k):
        known = L[:, k] >= 0
        y = L[known, k]
        if len(y) == 0 or y.min() == y.max():
            return None
        lr = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", dual=True,
                                max_iter=5000, random_state=seed)
        return lr.fit(X[np.flatnonzero(known)], y)

    coef = np.zeros((L.shape[1], X.shape[1]))
    intercept = np.full(L.shape[1], -30.0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Liblinear failed to converge")
        fitted = Parallel(n_jobs=n_jobs)(delayed(fit)(k) for k in range(L.shape[1]))
    for k, lr in enumerate(fitted):
        if lr is not None:
            coef[k], intercept[k] = lr.coef_[0], lr.intercept_[0]
    return coef, intercept


def document_scores(X, doc: np.ndarray, docs: np.ndarray, coef, intercept) -> np.ndarray:
    """(len(docs) x n_tags): each of ``docs``' best sentence probability per tag."""
    rows = np.flatnonzero(np.isin(doc, docs))
    proba = sigmoid(np.asarray(X[rows] @ coef.T) + intercept)
    local = np.searchsorted(docs, doc[rows])  # docs sorted: position of each sentence's doc
    order = np.argsort(local, kind="stable")
    best, _ = best_sentences(proba[order], local[order], len(docs))
    return best


def out_of_fold(X, corpus: Corpus, n_docs: int, train: np.ndarray, groups, *, C: float,
                seed: int, score: np.ndarray | None = None, n_jobs: int | None = None) -> np.ndarray:
    """Sentence features (n_docs x n_tags): for each document in ``train``, from scorers
    fitted on ``train`` without its group (the groups partition ``train``); for each in
    ``score``, from scorers fitted on all of ``train``; zero for the others."""
    S = np.zeros((n_docs, corpus.labels.shape[1]))
    inside = np.isin(corpus.doc, train)
    for group in groups:
        group = np.sort(group)
        fit_rows = np.flatnonzero(inside & ~np.isin(corpus.doc, group))
        coef, intercept = fit_scorers(X[fit_rows], corpus.labels[fit_rows], C=C, seed=seed,
                                       n_jobs=n_jobs)
        S[group] = document_scores(X, corpus.doc, group, coef, intercept)
    if score is not None and len(score):
        rows = np.flatnonzero(inside)
        coef, intercept = fit_scorers(X[rows], corpus.labels[rows], C=C, seed=seed,
                                       n_jobs=n_jobs)
        score = np.sort(score)
        S[score] = document_scores(X, corpus.doc, score, coef, intercept)
    return S
