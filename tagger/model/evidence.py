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
from ..text.cues import cue_matcher
from ..text.featurizer import Featurizer, make_featurizer
from ..text.tokens import TOKEN_PATTERN
from .sentencescores import best_sentences, sentence_matrix, sentence_rows, sigmoid

CHUNK = 256  # documents tokenized at a time, as tagging does


def has_evidence(docs: Sequence[Document]) -> bool:
    return any(d.evidence for d in docs)


class Corpus(NamedTuple):
    """The training documents' tokens (a chunk at a time) and their sentences' labels."""

    chunks: list           # Tokens per chunk of CHUNK documents
    sentences: list        # their Sentences, per chunk
    labels: np.ndarray     # (n_sentences x n_tags): 1 evidence, 0 not the tag, -1 unknown
    doc: np.ndarray        # each sentence's document
    # (n_sentences x n_tags): the sentence names one of the tag's schema keywords (None:
    # keywords not looked for); a negative that does is a hard negative
    keyword: np.ndarray | None = None


def tokenized(docs: Sequence[Document], tags: Sequence[str],
              keywords: Sequence[dict] = ()) -> Corpus:
    """Tokens, sentences and sentence labels of the labelled documents, once for every
    vocabulary; with ``keywords`` (the schema's lists, as the model keeps them), which
    sentences name a tag's keywords."""
    text = Featurizer()  # tokens and sentences need no vocabulary
    finders = keyword_finders(tags, keywords) if keywords else None
    chunks, found_per_chunk, labels, sent_doc, named = [], [], [], [], []
    for i in range(0, len(docs), CHUNK):
        part = docs[i:i + CHUNK]
        tokens = text.tokenize([d.content for d in part])
        chunks.append(tokens)
        found = text.sentences(tokens)
        found_per_chunk.append(found)
        L = np.zeros((len(found.doc), len(tags)), dtype=np.int8)
        N = np.zeros(L.shape, dtype=bool)
        for j, d in enumerate(part):
            rows = np.flatnonzero(found.doc == j)
            L[rows] = _sentence_labels(d, tags, found.start[rows], found.end[rows])
            if finders is not None:
                N[rows] = _keyword_sentences(d.content, finders, found.start[rows], found.end[rows])
        labels.append(L)
        named.append(N)
        sent_doc.append(found.doc + i)
    empty = len(labels) == 0
    return Corpus(chunks, found_per_chunk,
                  np.zeros((0, len(tags)), np.int8) if empty else np.vstack(labels),
                  np.zeros(0, np.int64) if empty else np.concatenate(sent_doc),
                  None if finders is None else np.zeros((0, len(tags)), bool) if empty
                  else np.vstack(named))


def keyword_finders(tags: Sequence[str], keywords: Sequence[dict]) -> list:
    """Per tag, a regular expression finding any of its keywords as whole words (None for
    a tag without keywords)."""
    import re

    by_tag = {k["tag"]: k["keywords"] for k in keywords}
    return [re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(by_tag[t], key=len,
                                                                             reverse=True))
                       + r")(?!\w)", re.IGNORECASE) if by_tag.get(t) else None for t in tags]


def _keyword_sentences(content: str, finders, starts, ends) -> np.ndarray:
    out = np.zeros((len(starts), len(finders)), dtype=bool)
    for s, (a, b) in enumerate(zip(starts.tolist(), ends.tolist())):
        for k, finder in enumerate(finders):
            out[s, k] = finder is not None and finder.search(content, a, b) is not None
    return out


def sentence_weights(corpus: Corpus, rows: np.ndarray, hard_weight: float) -> np.ndarray | None:
    """Sample weights of the sentences ``rows`` per tag: ``hard_weight`` for a hard negative
    (not the tag, yet naming its keywords), 1 for the others; None when all are 1."""
    if hard_weight == 1.0 or corpus.keyword is None:
        return None
    hard = corpus.keyword[rows] & (corpus.labels[rows] == 0)
    return np.where(hard, hard_weight, 1.0)


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


def corpus_rows(corpus: Corpus, vocabulary: dict, ngram_range, idf: np.ndarray, *,
                cue_value: float = 0.0):
    """Every training sentence's features for one vocabulary: a CSR matrix (sentences x
    terms, then the cue features when ``cue_value`` is above 0)."""
    import scipy.sparse as sp

    featurizer = make_featurizer(vocabulary, {"token_pattern": TOKEN_PATTERN,
                                              "ngram_range": tuple(ngram_range)})
    cues = cue_matcher() if cue_value > 0 else None
    width = len(vocabulary) + (cues.n if cues else 0)
    parts = [sentence_matrix(sentence_rows(featurizer, t, idf, found=f, cues=cues,
                                           cue_value=cue_value), width)
             for t, f in zip(corpus.chunks, corpus.sentences)]
    return sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, width))


def fit_scorers(X, L: np.ndarray, *, C: float, seed: int, n_jobs: int | None = None,
                weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(coef, intercept) of one logistic regression per tag over the sentences whose label
    is known, each sentence weighted by ``weights`` (n_sentences x n_tags), if given; a
    tag without both kinds of example scores every sentence 0. Tags are fitted in
    ``n_jobs`` processes (liblinear's random state is shared by threads)."""
    from joblib import Parallel, delayed
    from sklearn.linear_model import LogisticRegression

    def fit(k):
        known = L[:, k] >= 0
        y = L[known, k]
        if len(y) == 0 or y.min() == y.max():
            return None
        lr = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", dual=True,
                                max_iter=5000, random_state=seed)
        w = None if weights is None else weights[known, k]
        return lr.fit(X[np.flatnonzero(known)], y, sample_weight=w)

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
                seed: int, score: np.ndarray | None = None, n_jobs: int | None = None,
                hard_weight: float = 1.0) -> np.ndarray:
    """Sentence features (n_docs x n_tags): for each document in ``train``, from scorers
    fitted on ``train`` without its group (the groups partition ``train``); for each in
    ``score``, from scorers fitted on all of ``train``; zero for the others. Hard
    negatives weigh ``hard_weight`` (see :func:`sentence_weights`)."""
    S = np.zeros((n_docs, corpus.labels.shape[1]))
    inside = np.isin(corpus.doc, train)
    for group in groups:
        group = np.sort(group)
        fit_rows = np.flatnonzero(inside & ~np.isin(corpus.doc, group))
        coef, intercept = fit_scorers(X[fit_rows], corpus.labels[fit_rows], C=C, seed=seed,
                                       n_jobs=n_jobs,
                                       weights=sentence_weights(corpus, fit_rows, hard_weight))
        S[group] = document_scores(X, corpus.doc, group, coef, intercept)
    if score is not None and len(score):
        rows = np.flatnonzero(inside)
        coef, intercept = fit_scorers(X[rows], corpus.labels[rows], C=C, seed=seed,
                                       n_jobs=n_jobs,
                                       weights=sentence_weights(corpus, rows, hard_weight))
        score = np.sort(score)
        S[score] = document_scores(X, corpus.doc, score, coef, intercept)
    return S
