r"""Fast, exact word n-gram counting for a fixed vocabulary.

scikit-learn's CountVectorizer tokenizes with a regular expression and builds n-grams in
Python, which is most of the cost of tagging. For the word analyzer with the default token
pattern ``\b\w\w+\b`` this module produces the same counts with a handful of NumPy
passes over a whole chunk of documents: characters are classified as word characters by a
table the ``re`` engine itself fills in (so it is exactly ``\w``), word runs of two or more
characters become tokens, each token is identified by a 64-bit polynomial hash of its code
points, and n-grams are looked up as tuples of token ids. The model then weights the
counts (sublinear TF, IDF, L2 norm) as scikit-learn does; tests compare both steps.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple, Sequence

import numpy as np
import pandas as pd

_P = np.uint64(0x100000001B3)  # odd, so invertible modulo 2**64
MAX_CODEPOINT = 0x110000


def _inverse_mod_2_64(a: int) -> int:
    x = 1
    for _ in range(7):  # Newton's iteration doubles the correct low bits each time
        x = (x * (2 - a * x)) % (1 << 64)
    return x


_Q = np.uint64(_inverse_mod_2_64(int(_P)))


@lru_cache(maxsize=1)
def word_table() -> np.ndarray:
    """Is each code point a regex ``\\w`` character?

    Found by the ``re`` engine itself, so it agrees with the token pattern by construction.
    """
    everything = np.arange(MAX_CODEPOINT, dtype=np.uint32).tobytes().decode("utf-32-le",
                                                                              "surrogatepass")
    word = np.zeros(MAX_CODEPOINT, dtype=bool)
    for run in re.finditer(r"\w+", everything):
        word[run.start():run.end()] = True
    return word


class _Powers:
    """Q**j and P**j modulo 2**64 for j < n, grown on demand."""

    def __init__(self):
        self.n = 0
        self.q = self.p = np.ones(0, dtype=np.uint64)

    def get(self, n: int):
        if n > self.n:
            m = max(n, 2 * self.n, 1 << 16)
            q = np.full(m, _Q, dtype=np.uint64)
            p = np.full(m, _P, dtype=np.uint64)
            q[0] = p[0] = 1
            with np.errstate(over="ignore"):
                self.q, self.p = np.cumprod(q, dtype=np.uint64), np.cumprod(p, dtype=np.uint64)
            self.n = m
        return self.q, self.p


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _tokens(cps: np.ndarray, powers: _Powers):
    """Start offsets and hashes of the word tokens (2+ word characters) in code points."""
    n = len(cps)
    isword = np.zeros(n + 2, dtype=bool)
    isword[1:-1] = word_table()[cps]
    # word runs start and end where the class changes; starts and ends strictly alternate
    edges = np.flatnonzero(isword[1:] != isword[:-1])
    starts, ends = edges[0::2], edges[1::2]
    keep = (ends - starts) >= 2
    starts, ends = starts[keep], ends[keep]
    q, p = powers.get(n + 1)
    with np.errstate(over="ignore"):
        prefix = np.empty(n + 1, dtype=np.uint64)
        prefix[0] = 0
        np.cumsum(np.multiply(cps, q[:n], dtype=np.uint64), dtype=np.uint64, out=prefix[1:])
        # sum_j c_j Q^j over the token, shifted by P^start: a hash independent of position
        hashes = (prefix[ends] - prefix[starts]) * p[starts]
    return starts, hashes


class Tokens(NamedTuple):
    """Word tokens of a slice of documents, in reading order."""

    doc: np.ndarray     # which document each token belongs to
    hashes: np.ndarray  # each token's 64-bit hash
    n_docs: int


def tokenize(texts, powers: _Powers | None = None, *, lower: bool = True) -> Tokens:
    """Word tokens (2+ word characters) of every text, lower-cased unless ``lower`` is
    False, as hashes."""
    texts = list(texts)
    n_docs = len(texts)
    if n_docs == 0:
        return Tokens(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64), 0)
    # lower each text on its own: a joined string would take the widest character
    # kind of any text, and lowering wide strings is slower
    lowered = [t.lower() for t in texts] if lower else texts
    lengths = np.fromiter(map(len, lowered), dtype=np.int64, count=n_docs)
    # NUL is not a word character, so it keeps documents' tokens apart
    starts, hashes = _tokens(_codepoints("\x00".join(lowered)), powers or _Powers())
    doc = np.searchsorted(np.cumsum(lengths + 1), starts, side="right")
    return Tokens(doc, hashes, n_docs)


def phrase_hashes(phrases: Sequence[str]) -> list[np.ndarray]:
    """Hashes of each phrase's word tokens, as the documents' tokens are hashed."""
    tokens = tokenize(phrases)
    bounds = np.searchsorted(tokens.doc, np.arange(1, len(phrases)))
    return np.split(tokens.hashes, bounds)


class NgramCounter:
    """Counts the word n-grams of a fixed vocabulary, like ``CountVectorizer.transform``."""

    def __init__(self, vocabulary: dict[str, int], ngram_range: tuple[int, int]):
        self.n_features = len(vocabulary)
        self.ngram_range = tuple(ngram_range)
        self._powers = _Powers()
        self._powers.get(1 << 21)  # room for a typical slice of documents, made once
        terms = list(vocabulary)
        features = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(terms))
        n_words = np.fromiter((t.count(" ") + 1 for t in terms), dtype=np.int64, count=len(terms))
        # tokenize every term at once, as written; each of its words must be one token
        term_of, hashes, _ = tokenize(terms, self._powers, lower=False)
        if not np.array_equal(np.bincount(term_of, minlength=len(terms)), n_words):
            raise ValueError("a vocabulary term is not a sequence of single word tokens")
        token_hashes, token_ids = np.unique(hashes, return_inverse=True)
        if len(token_hashes) != len(set(" ".join(terms).split(" "))):
            raise ValueError("hash collision inside the vocabulary")
        self.n_tokens = T = max(len(token_hashes), 1)
        if T ** int(n_words.max(initial=1)) >= 2**63:
            raise ValueError("vocabulary too large for exact 64-bit n-gram keys")
        self._token_index = pd.Index(token_hashes)
        first = np.cumsum(n_words) - n_words  # each term's first token
        self._unigram_feature = np.full(T + 1, -1, dtype=np.int64)  # [-1] -> -1: unknown
        self._grams = {}
        for n in np.unique(n_words).tolist():
            sel = n_words == n
            ids = [token_ids[first[sel] + k] for k in range(n)]
            if n == 1:
                self._unigram_feature[ids[0]] = features[sel]
            self._grams[n] = (pd.Index(self._keys(ids, T)), features[sel])
        # pandas builds an index's hash table on first lookup: do it now, once, so that
        # forked worker processes inherit it instead of each building their own
        for index in [self._token_index, *(g[0] for g in self._grams.values())]:
            index.get_indexer(index[:1])

    @staticmethod
    def supports(params: dict) -> bool:
        from .model import TOKEN_PATTERN

        return (params.get("analyzer", "word") == "word" and params.get("lowercase", True)
                and params.get("token_pattern") == TOKEN_PATTERN
                and params.get("tokenizer") is None and params.get("preprocessor") is None
                and params.get("stop_words") is None and params.get("strip_accents") is None
                and tuple(params.get("ngram_range", (1, 1)))[1] <= 3)

    @staticmethod
    def _keys(cols, T: int) -> np.ndarray:
        """One exact int64 key per n-gram from its token ids (rows of ``cols``)."""
        key = np.asarray(cols[0], dtype=np.int64).copy()
        for c in cols[1:]:
            key = key * T + np.asarray(c, dtype=np.int64)
        return key

    def tokenize(self, texts) -> Tokens:
        """The word tokens of a slice of documents, for :meth:`entries` and :class:`Lexicon`."""
        return tokenize(texts, self._powers)

    def entries(self, texts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Non-zero counts as (document, feature, count) arrays, in no particular order.

        ``texts`` may also be the :class:`Tokens` of :meth:`tokenize`. Within one document
        the order depends only on that document, so results computed from these do not
        depend on which other documents share the batch.
        """
        tokens = texts if isinstance(texts, Tokens) else self.tokenize(texts)
        n_docs, doc = tokens.n_docs, tokens.doc
        empty = np.zeros(0, dtype=np.int64)
        if n_docs == 0:
            return empty, empty, empty
        tok = self._token_index.get_indexer(tokens.hashes)  # -1 for tokens outside every n-gram
        F = self.n_features
        keys_out = []
        lo, hi = self.ngram_range
        for n in range(lo, hi + 1):
            if n not in self._grams or len(tok) < n:
                continue
            m = len(tok) - n + 1
            if n == 1:
                feat = self._unigram_feature[tok]  # tok == -1 lands on the sentinel (-1)
                hit = feat >= 0
                keys_out.append(doc[hit] * F + feat[hit])
                continue
            index, feats = self._grams[n]
            parts = [tok[i:i + m] for i in range(n)]
            valid = doc[:m] == doc[n - 1:]
            for part in parts:
                valid &= part >= 0
            pos = index.get_indexer(self._keys([p[valid] for p in parts], self.n_tokens))
            hit = pos >= 0
            keys_out.append(doc[:m][valid][hit] * F + feats[pos[hit]])
        if not keys_out:
            return empty, empty, empty
        # count (document, feature) pairs by hashing rather than sorting: it is the
        # costliest step, and nothing downstream needs sorted entries
        keys = np.concatenate(keys_out)
        if n_docs * F < 2**31:  # 32-bit keys hash faster
            keys = keys.astype(np.int32)
        codes, keys = pd.factorize(keys)
        keys = keys.astype(np.int64)
        counts = np.bincount(codes, minlength=len(keys))
        rows, cols = np.divmod(keys, F)
        return rows, cols, counts

    def transform(self, texts):
        """Count matrix (n_docs x n_features), equal to CountVectorizer's for this vocabulary."""
        import scipy.sparse as sp

        texts = list(texts)
        rows, cols, counts = self.entries(texts)
        X = sp.csr_matrix((counts, (rows, cols)), shape=(len(texts), self.n_features))
        X.sort_indices()
        return X


_FILTER_SHIFT = np.uint64(48)  # Lexicon's pre-filter looks at the top 16 bits of a hash


class Lexicon:
    """Counts, for each of a few keyword lists, the keywords a document mentions in context.

    Each list has keywords (words or phrases) and, optionally, context words: a keyword
    occurrence counts only when one of the context words stands within ``window`` words
    before its first word or after its last (a list without context words counts every
    occurrence). Matching uses the documents' own tokens, so it is case-insensitive and
    ignores punctuation and one-character words, exactly as the n-gram features do.
    """

    def __init__(self, keywords: Sequence[Sequence[str]], context: Sequence[Sequence[str]],
                 window: int):
        if len(keywords) != len(context):
            raise ValueError("one context list per keyword list")
        self.window = int(window)
        self.n_lists = len(keywords)
        # hash every phrase of every list in one pass, then deal them back out
        flat = phrase_hashes([p for lst in [*keywords, *context] for p in lst])
        sizes = [len(lst) for lst in [*keywords, *context]]
        nested = [flat[a:b] for a, b in zip(np.cumsum([0, *sizes[:-1]]), np.cumsum(sizes))]
        phrases, contexts = nested[:len(keywords)], nested[len(keywords):]
        for p in (p for lst in phrases + contexts for p in lst):
            if len(p) == 0:
                raise ValueError("a keyword or context word has no word of two or more characters")
        known = np.unique(np.array([h for lst in phrases + contexts for p in lst for h in p],
                                   dtype=np.uint64))
        self._index = pd.Index(known)
        self._T = T = max(len(self._index), 1)
        self._filter = np.zeros(1 << (64 - int(_FILTER_SHIFT)), dtype=bool)
        self._filter[(known >> _FILTER_SHIFT).astype(np.intp)] = True
        # per phrase length n: the keys of every list's n-word phrases, and which lists
        # each belongs to, so that one lookup per length serves all the lists
        by_n: dict[int, list] = {}
        for j, lst in enumerate(phrases):
            for p in lst:
                by_n.setdefault(len(p), []).append((j, self._index.get_indexer(p)))
        self._grams = {}
        for n, entries in by_n.items():
            if T ** n >= 2**63:
                raise ValueError("a keyword phrase is too long")
            cols = np.array([ids for _, ids in entries], dtype=np.int64).T
            keys, which = np.unique(NgramCounter._keys(list(cols), T), return_inverse=True)
            member = np.zeros((len(keys), self.n_lists), dtype=bool)
            member[which, [j for j, _ in entries]] = True
            self._grams[n] = (pd.Index(keys), member)
        self._context = []   # per list: is each token id a context word? None: no context needed
        for ctx in contexts:
            is_context = np.zeros(T, dtype=bool)
            is_context[[i for w in ctx for i in self._index.get_indexer(w)]] = True
            self._context.append(is_context if ctx else None)

    def counts(self, tokens: Tokens) -> np.ndarray:
        """(n_docs x n_lists) counts of keyword occurrences in context."""
        out = np.zeros((tokens.n_docs, self.n_lists), dtype=np.int64)
        hashes, doc = tokens.hashes, tokens.doc
        m = len(hashes)
        # Few tokens are keyword or context words: a table over the hashes' top bits
        # rules out almost all of them before the exact (and costlier) hash lookup.
        at = np.flatnonzero(self._filter[(hashes >> _FILTER_SHIFT).astype(np.intp)])
        ids = self._index.get_indexer(hashes[at])
        at, ids = at[ids >= 0], ids[ids >= 0]
        if len(at) == 0:
            return out
        tok = np.full(m, -1, dtype=np.int64)
        tok[at] = ids
        starts, ends = [[] for _ in range(self.n_lists)], [[] for _ in range(self.n_lists)]
        for n, (index, member) in self._grams.items():
            start = at[at + n - 1 < m]  # runs of n known tokens within one document
            parts = [tok[start + i] for i in range(n)]
            valid = doc[start] == doc[start + n - 1]
            for part in parts[1:]:
                valid &= part >= 0
            start = start[valid]
            pos = index.get_indexer(NgramCounter._keys([p[valid] for p in parts], self._T))
            start, lists = start[pos >= 0], member[pos[pos >= 0]]
            for j in range(self.n_lists):
                starts[j].append(start[lists[:, j]])
                ends[j].append(start[lists[:, j]] + n - 1)
        first_token = np.searchsorted(doc, np.arange(tokens.n_docs))  # of each document
        for j in range(self.n_lists):
            start, end = np.concatenate(starts[j]), np.concatenate(ends[j])
            if self._context[j] is not None and len(start):
                where = at[self._context[j][ids]]
                start = start[self._near(where, start, end, doc, first_token)]
            out[:, j] = np.bincount(doc[start], minlength=tokens.n_docs)
        return out

    def _near(self, where: np.ndarray, start: np.ndarray, end: np.ndarray,
              doc: np.ndarray, first_token: np.ndarray) -> np.ndarray:
        """Which keyword occurrences [start, end] have a context token (at ``where``) in reach."""
        if len(where) == 0:
            return np.zeros(len(start), dtype=bool)
        # the first context token at or after (start - window), not before the document's
        # first token: in reach if it is no later than end + window and in the same document
        lo = np.maximum(start - self.window, first_token[doc[start]])
        i = np.searchsorted(where, lo)
        ok = i < len(where)
        c = where[np.minimum(i, len(where) - 1)]
        return ok & (c <= end + self.window) & (doc[c] == doc[start])
