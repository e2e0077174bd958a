"""Term counts made once, TF-IDF per fold from them.

The search fits a TF-IDF vectorizer on each fold's training part, for each vocabulary
setting. Analysing the texts is most of that work, and it is the same every time: here
the labelled documents are analysed once (by scikit-learn's own analyzer), and a fold's
TF-IDF is a choice of rows and columns of those counts. The matrices are equal, to the
bit and in their storage order, to what ``TfidfVectorizer.fit_transform`` and
``transform`` give (tests compare them), so models do not change.
"""

from __future__ import annotations

from numbers import Integral
from typing import NamedTuple

import numpy as np

from ..errors import ModelError


class TermCounts(NamedTuple):
    """Every term's count in each document: a CSR matrix whose columns are the terms in
    order of first appearance, each row's entries in the order its terms first appear in
    it (as CountVectorizer counts them before sorting)."""

    counts: object         # CSR (documents x terms), float64
    alphabetical: np.ndarray  # each term's rank in sorted order
    terms: list


class FittedTfidf(NamedTuple):
    """What a fitted TfidfVectorizer gives the model: vocabulary, n-gram range, IDF."""

    vocabulary_: dict
    ngram_range: tuple
    idf_: np.ndarray


def supports(vectorizer) -> bool:
    """Whether counts made once reproduce this TfidfVectorizer (no options that need the
    corpus beyond document frequencies)."""
    return (not vectorizer.binary and vectorizer.max_features is None
            and vectorizer.vocabulary is None)


def term_counts(vectorizer, texts) -> TermCounts:
    """Count every term of ``texts`` with the vectorizer's own analyzer, in one pass."""
    import scipy.sparse as sp

    analyze = vectorizer.build_analyzer()
    ids: dict = {}
    indices, values, indptr = [], [], [0]
    for text in texts:
        seen: dict = {}
        for term in analyze(text):
            j = ids.setdefault(term, len(ids))
            seen[j] = seen.get(j, 0) + 1
        indices.extend(seen)
        values.extend(seen.values())
        indptr.append(len(indices))
    terms = list(ids)
    counts = sp.csr_matrix((np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int64),
                            np.asarray(indptr, dtype=np.int64)), shape=(len(texts), len(terms)))
    rank = np.empty(len(terms), dtype=np.int64)
    rank[sorted(range(len(terms)), key=terms.__getitem__)] = np.arange(len(terms))
    return TermCounts(counts, rank, terms)


def _kept_terms(vectorizer, counts, n_docs: int) -> np.ndarray:
    """Term ids kept by min_df and max_df on these rows, in alphabetical order."""
    max_df, min_df = vectorizer.max_df, vectorizer.min_df
    high = max_df if isinstance(max_df, Integral) else max_df * n_docs
    low = min_df if isinstance(min_df, Integral) else min_df * n_docs
    if high < low:
        raise ModelError(f"too few documents to train on: {n_docs} cannot hold a term in "
                         f"at least {low:g} (the 'min_df' setting) and at most {high:g} "
                         "(the 'max_df' setting) of them")
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    kept = np.flatnonzero((df > 0) & (df >= low) & (df <= high))
    if not len(kept):
        raise ModelError(f"no word appears in enough of the {n_docs} training documents "
                         "to be kept (the 'min_df' and 'max_df' settings): label more "
                         "documents or lower 'min_df'")
    return kept


def _select(counts, rows: np.ndarray, column: np.ndarray, order_key: np.ndarray):
    """Rows of ``counts``, their entries in kept columns only (``column`` is -1 for the
    others) renumbered, and within each row ordered by ``order_key`` of the term."""
    import scipy.sparse as sp

    part = counts[rows]
    row = np.repeat(np.arange(len(rows)), np.diff(part.indptr))
    keep = np.flatnonzero(column[part.indices] >= 0)
    term, row = part.indices[keep], row[keep]
    order = np.lexsort((order_key[term], row))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=len(rows)))])
    n_terms = int((column >= 0).sum())
    idx_dtype = np.int32 if max(len(keep), n_terms) < 2**31 else np.int64
    return sp.csr_matrix((part.data[keep][order], column[term[order]].astype(idx_dtype),
                          indptr.astype(idx_dtype)), shape=(len(rows), n_terms))


def fold_tfidf(vectorizer, tc: TermCounts, train: np.ndarray, test: np.ndarray | None = None):
    """(X_train, X_test or None, FittedTfidf): as ``vectorizer.fit_transform`` on the
    ``train`` documents and ``transform`` on the ``test`` ones (rows of ``tc``)."""
    from sklearn.feature_extraction.text import TfidfTransformer

    train = np.asarray(train)
    part = tc.counts[train]
    kept = _kept_terms(vectorizer, part, len(train))
    kept = kept[np.argsort(tc.alphabetical[kept], kind="stable")]
    column = np.full(tc.counts.shape[1], -1, dtype=np.int64)
    column[kept] = np.arange(len(kept))
    # fit_transform leaves each row in the order the fold first meets its terms
    seen = part.indices
    first_met = np.full(tc.counts.shape[1], len(seen), dtype=np.int64)
    terms, at = np.unique(seen, return_index=True)
    first_met[terms] = at
    tfidf = TfidfTransformer(norm=vectorizer.norm, use_idf=vectorizer.use_idf,
                             smooth_idf=vectorizer.smooth_idf, sublinear_tf=vectorizer.sublinear_tf)
    C_train = _select(tc.counts, train, column, first_met)
    tfidf.fit(C_train)
    X_train = tfidf.transform(C_train, copy=False)
    X_test = None
    if test is not None:  # transform sorts each row by column
        X_test = tfidf.transform(_select(tc.counts, np.asarray(test), column, column), copy=False)
    vocabulary = {tc.terms[j]: i for i, j in enumerate(kept.tolist())}
    return X_train, X_test, FittedTfidf(vocabulary, tuple(vectorizer.ngram_range), tfidf.idf_)
