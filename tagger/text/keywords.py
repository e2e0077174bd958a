"""Keyword features: for each tag's list, the keywords a document mentions in context."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .lookup import KeyIndex, sieve, sorted_unique
from .tokens import Tokens, ngram_keys, phrase_hashes


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
        known = sorted_unique(np.array([h for lst in phrases + contexts for p in lst for h in p],
                                   dtype=np.uint64))
        self._index = KeyIndex(known)
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
            keys, which = np.unique(ngram_keys(list(cols), T), return_inverse=True)
            member = np.zeros((len(keys), self.n_lists), dtype=bool)
            member[which, [j for j, _ in entries]] = True
            self._grams[n] = (KeyIndex(keys), member)
        self._context = []   # per list: is each token id a context word? None: no context needed
        for ctx in contexts:
            is_context = np.zeros(T, dtype=bool)
            is_context[[i for w in ctx for i in self._index.get_indexer(w)]] = True
            self._context.append(is_context if ctx else None)

    def counts(self, tokens: Tokens) -> np.ndarray:
        """(n_docs x n_lists) counts of keyword occurrences in context."""
        out = np.zeros((tokens.n_docs, self.n_lists), dtype=np.int64)
        for j, (start, _) in enumerate(self.occurrences(tokens)):
            out[:, j] = np.bincount(tokens.doc[start], minlength=tokens.n_docs)
        return out

    def occurrences(self, tokens: Tokens) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per list, the keyword occurrences in context: (first token, last token) arrays
        of indices into ``tokens`` (what :meth:`counts` counts)."""
        hashes, doc = tokens.hashes, tokens.doc
        m = len(hashes)
        none = np.zeros(0, dtype=np.int64)
        # Few tokens are keyword or context words: a table over the hashes' top bits
        # rules out almost all of them before the exact (and costlier) hash lookup.
        at = sieve(hashes, self._filter, int(_FILTER_SHIFT))
        ids = self._index.get_indexer(hashes.take(at))
        at, ids = at[ids >= 0], ids[ids >= 0]
        if len(at) == 0:
            return [(none, none) for _ in range(self.n_lists)]
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
            pos = index.get_indexer(ngram_keys([p[valid] for p in parts], self._T))
            start, lists = start[pos >= 0], member[pos[pos >= 0]]
            for j in range(self.n_lists):
                starts[j].append(start[lists[:, j]])
                ends[j].append(start[lists[:, j]] + n - 1)
        first_token = np.searchsorted(doc, np.arange(tokens.n_docs))  # of each document
        out = []
        for j in range(self.n_lists):
            start, end = np.concatenate([none, *starts[j]]), np.concatenate([none, *ends[j]])
            if self._context[j] is not None and len(start):
                where = at[self._context[j][ids]]
                near = self._near(where, start, end, doc, first_token)
                start, end = start[near], end[near]
            out.append((start, end))
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


def lexicon_for(keywords: list[dict], window: int) -> Lexicon | None:
    """The keyword matcher of a model's keyword lists (``{"keywords", "context"}`` each)
    with context ``window``, or None when it has no keyword features."""
    if not keywords or window <= 0:
        return None
    return Lexicon([k["keywords"] for k in keywords], [k["context"] for k in keywords], window)
