"""Fast, exact word n-gram counting for a fixed vocabulary.

Tokens come from :mod:`.tokens`; n-grams are looked up as tuples of token ids. The model
then weights the counts (sublinear TF, IDF, L2 norm) as scikit-learn does; tests compare
both steps with scikit-learn's own.
"""

from __future__ import annotations

import numpy as np

from . import compiled
from .lookup import KeyIndex
from .tokens import TOKEN_PATTERN, Powers, Tokens, ngram_keys, tokenize, written_codes


class NgramCounter:
    """Counts the word n-grams of a fixed vocabulary, like ``CountVectorizer.transform``."""

    def __init__(self, vocabulary: dict[str, int], ngram_range: tuple[int, int]):
        self.n_features = len(vocabulary)
        self.ngram_range = tuple(ngram_range)
        self._powers = Powers()
        if compiled.kernel is None:  # the NumPy passes' room for a typical slice, made once
            self._powers.get(1 << 21)
        terms = list(vocabulary)
        features = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(terms))
        # tokenize every term at once, as written; each of its words must be one token
        words = tokenize(terms, self._powers, lower=False)
        n_words = words_of_terms(words)
        token_hashes, seen_at, token_ids = np.unique(words.hashes, return_index=True,
                                                     return_inverse=True)
        if not one_word_per_hash(terms, words, seen_at[token_ids]):
            raise ValueError("hash collision inside the vocabulary")
        self.n_tokens = T = max(len(token_hashes), 1)
        if T ** int(n_words.max(initial=1)) >= 2**63:
            raise ValueError("vocabulary too large for exact 64-bit n-gram keys")
        self._token_index = KeyIndex(token_hashes)
        first = np.cumsum(n_words) - n_words  # each term's first token
        self._unigram_feature = np.full(T + 1, -1, dtype=np.int64)  # [-1] -> -1: unknown
        self._grams = {}
        for n in np.flatnonzero(np.bincount(n_words)).tolist():  # the lengths there are
            sel = n_words == n
            ids = [token_ids[first[sel] + k] for k in range(n)]
            if n == 1:
                self._unigram_feature[ids[0]] = features[sel]
            self._grams[n] = (KeyIndex(ngram_keys(ids, T)), features[sel])

    @staticmethod
    def supports(params: dict) -> bool:
        return (params.get("analyzer", "word") == "word" and params.get("lowercase", True)
                and params.get("token_pattern") == TOKEN_PATTERN
                and params.get("tokenizer") is None and params.get("preprocessor") is None
                and params.get("stop_words") is None and params.get("strip_accents") is None
                and tuple(params.get("ngram_range", (1, 1)))[1] <= 3)

    def tokenize(self, texts) -> Tokens:
        """The word tokens of a slice of documents, for :meth:`entries` and :class:`Lexicon`."""
        return tokenize(texts, self._powers)

    def hits(self, tokens: Tokens) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Every occurrence of a vocabulary n-gram within one document: per length n,
        (n, index of its first token, feature)."""
        doc = tokens.doc
        if tokens.n_docs == 0:
            return []
        tok = self._token_index.get_indexer(tokens.hashes)  # -1 for tokens outside every n-gram
        out = []
        lo, hi = self.ngram_range
        for n in range(lo, hi + 1):
            if n not in self._grams:
                continue
            if len(tok) < n:  # one entry per length of the vocabulary's terms, if empty
                out.append((n, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)))
                continue
            if n == 1:
                # tok == -1 lands on the sentinel (-1); take() throughout: it costs a
                # fraction of fancy indexing here
                feat = self._unigram_feature.take(tok)
                at = np.flatnonzero(feat >= 0)
                out.append((1, at, feat.take(at)))
                continue
            index, feats = self._grams[n]
            at, pos = index.find_runs(tok, doc, n, self.n_tokens)
            out.append((n, at, feats.take(pos)))
        return out

    def entries(self, texts, hits=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Non-zero counts as (document, feature, count) arrays, by document and feature.

        ``texts`` may also be the :class:`Tokens` of :meth:`tokenize` (and ``hits`` its
        :meth:`hits`). Within one document the order depends only on that document, so
        results computed from these do not depend on which other documents share the batch.
        """
        tokens = texts if isinstance(texts, Tokens) else self.tokenize(texts)
        return hit_counts(tokens, self.hits(tokens) if hits is None else hits, self.n_features)

    def transform(self, texts):
        """Count matrix (n_docs x n_features), equal to CountVectorizer's for this vocabulary."""
        import scipy.sparse as sp

        texts = list(texts)
        rows, cols, counts = self.entries(texts)
        X = sp.csr_matrix((counts, (rows, cols)), shape=(len(texts), self.n_features))
        X.sort_indices()
        return X


# The two checks below are NumPy passes, not str methods and a set of every word: they
# run at every start of every process that loads a model (a twentieth of a second less).
def words_of_terms(words: Tokens) -> np.ndarray:
    """Each term's number of words, where ``words`` are the terms' tokens as written and
    each term is its tokens joined by single spaces, as scikit-learn writes an n-gram;
    ValueError for a term that is not."""
    text = words.chars
    n_words = np.bincount(words.doc, minlength=len(text.starts))
    last = np.cumsum(n_words) - 1
    inner = np.ones(len(words.doc), dtype=bool)  # a token another of its term follows
    inner[last[n_words > 0]] = False
    gaps = words.ends[inner]
    if not (n_words.min(initial=1) >= 1
            and np.array_equal(words.starts.take(last - n_words + 1), text.starts)
            and np.array_equal(words.ends.take(last), text.starts + text.lengths)
            and np.array_equal(words.starts[1:][inner[:-1]], gaps + 1)
            and (text.lower.take(gaps) == ord(" ")).all()):
        raise ValueError("a vocabulary term is not a sequence of single word tokens")
    return n_words


def one_word_per_hash(terms: list[str], words: Tokens, rep: np.ndarray) -> bool:
    """Whether every token of the ``terms`` (their ``words``) is, character for character,
    the token ``rep`` gives it (the first of its hash): no two words' hashes collide."""
    length = words.ends - words.starts
    if not np.array_equal(length, length.take(rep)):
        return False
    other = np.flatnonzero(rep != np.arange(len(rep)))
    n = length.take(other)
    ramp = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)  # place within a token
    codes = written_codes(terms)  # as written, where words.starts places each token
    return np.array_equal(codes.take(np.repeat(words.starts.take(other), n) + ramp),
                          codes.take(np.repeat(words.starts.take(rep.take(other)), n) + ramp))


def hit_counts(tokens: Tokens, hits, n_features: int):
    """The counts of n-gram ``hits`` (see :meth:`NgramCounter.hits`) as (document,
    feature, count) arrays, by document and feature."""
    n_docs, doc, F = tokens.n_docs, tokens.doc, n_features
    if compiled.kernel is not None:  # counted in one pass, document by document
        room = sum(len(at) for _, at, _ in hits)
        rows, cols, counts = (np.empty(room, dtype=np.int64) for _ in range(3))
        n = compiled.kernel.hit_counts(np.ascontiguousarray(doc, dtype=np.int64),
                                       [(int(n), at, feat) for n, at, feat in hits], F, rows, cols, counts)
        return rows[:n], cols[:n], counts[:n]
    # count (document, feature) pairs by sorting their keys (NumPy's vectorised sort beat
    # pandas' hashing here by 2-3x; 32-bit keys sort faster); sorted, the order within a
    # document depends only on that document
    keys = np.empty(sum(len(at) for _, at, _ in hits),
                    dtype=np.int32 if n_docs * F < 2**31 else np.int64)
    done = 0
    for _, at, feat in hits:  # doc * F + feature, written in place
        part = keys[done:done + len(at)]
        np.multiply(doc.take(at), F, out=part, casting="unsafe")
        np.add(part, feat, out=part, casting="unsafe")
        done += len(at)
    keys.sort()
    edge = np.empty(len(keys) + 1, dtype=bool)  # where a run of equal keys begins or ends
    edge[0] = edge[-1] = True
    np.not_equal(keys[1:], keys[:-1], out=edge[1:-1])
    at = np.flatnonzero(edge)
    unique, counts = keys.take(at[:-1]).astype(np.int64), np.diff(at)
    # rows by each document's share of the sorted keys: integer division costs more
    rows = np.repeat(np.arange(n_docs), np.diff(np.searchsorted(unique, np.arange(n_docs + 1) * F)))
    return rows, unique - rows * F, counts
