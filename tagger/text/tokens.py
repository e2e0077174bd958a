r"""Word tokens as 64-bit hashes, found by a handful of NumPy passes over a whole chunk.

scikit-learn's CountVectorizer tokenizes with a regular expression and builds n-grams in
Python, which is most of the cost of tagging. For the word analyzer with the default token
pattern ``\b\w\w+\b`` this module finds the same tokens: characters are classified as word
characters by a table the ``re`` engine itself fills in (so it is exactly ``\w``), word
runs of two or more characters become tokens, and each token is identified by a 64-bit
polynomial hash of its code points. :mod:`.ngrams` and :mod:`.keywords` count on them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple, Sequence

import numpy as np


TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # what scikit-learn's TfidfVectorizer would be given


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


class Powers:
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


def _tokens(cps: np.ndarray, powers: Powers):
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


def tokenize(texts, powers: Powers | None = None, *, lower: bool = True) -> Tokens:
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
    starts, hashes = _tokens(_codepoints("\x00".join(lowered)), powers or Powers())
    doc = np.searchsorted(np.cumsum(lengths + 1), starts, side="right")
    return Tokens(doc, hashes, n_docs)


def phrase_hashes(phrases: Sequence[str]) -> list[np.ndarray]:
    """Hashes of each phrase's word tokens, as the documents' tokens are hashed."""
    tokens = tokenize(phrases)
    bounds = np.searchsorted(tokens.doc, np.arange(1, len(phrases)))
    return np.split(tokens.hashes, bounds)


def ngram_keys(cols, T: int) -> np.ndarray:
    """One exact int64 key per n-gram from its token ids (rows of ``cols``), among ``T`` ids."""
    key = np.asarray(cols[0], dtype=np.int64).copy()
    for c in cols[1:]:
        key = key * T + np.asarray(c, dtype=np.int64)
    return key
