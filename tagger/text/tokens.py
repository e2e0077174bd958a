r"""Word tokens as 64-bit hashes, found by one compiled pass over each text (or, without
the compiled kernel, a handful of NumPy passes over a whole chunk).

scikit-learn's CountVectorizer tokenizes with a regular expression and builds n-grams in
Python, which is most of the cost of tagging. For the word analyzer with the default token
pattern ``\b\w\w+\b`` this module finds the same tokens: characters are classified as word
characters by a table the ``re`` engine itself fills in (so it is exactly ``\w``), word
runs of two or more characters become tokens, and each token is identified by a 64-bit
polynomial hash of its code points. :mod:`.ngrams` and :mod:`.keywords` count on them.

The rules this hand-written path keeps (:mod:`.featurizer` has scikit-learn's beside it):

- Exact scikit-learn tokens. A token is a maximal run of two or more ``\w`` characters
  of ``str.lower(text)`` (what ``\b\w\w+\b`` matches); ``\w`` is alphanumeric or
  ``_`` as ``re`` decides it, the lower case ``str.lower``'s own, by table, except for the
  two characters a table cannot lower (``İ``, ``Σ``), whose chunk goes to ``str.lower``;
  an n-gram is n consecutive tokens of one document, as ``_word_ngrams`` joins them.
  tests/text/test_features.py compares the counts with CountVectorizer's (reference corpus,
  awkward Unicode), tests/text/test_featurizer.py the hits with scikit-learn's analyzer's.
- Hashes stand for tokens. A vocabulary whose tokens collide is refused (scikit-learn's
  path takes it); a text token colliding with a vocabulary token it is not would be
  counted as that one, at odds of about one in 2**64 / (tokens x vocabulary) per run.
  Models keep token hashes (``training_words``), so the hash is part of the model format.
- What is compiled, and why. The loops NumPy can only run as many memory-bound passes over
  every character, token or entry are in C (``csrc/*.c``, one extension module): this
  module's scan (each character's lower case and class by the same tables, and each
  token's place, document and hash, in one pass over the str's own buffer),
  :class:`~.lookup.KeyIndex`'s probes and the n-gram runs' keys, the n-gram counts per
  document (:func:`.ngrams.hit_counts`, sorted by a bitmap, not a sort), the sentence
  splitter's rules (:mod:`.sentences`), the keyword and cue pre-filters, and the model's
  per-token sentence, sentence entries, sparse score products and sentence scores summed
  as the hits are found (:mod:`tagger.model.sentencescores`). Plain C with the CPython API
  and the buffer protocol (no Cython, no NumPy headers): setuptools alone builds it in
  ``pip install``, and importing it costs nothing, where a JIT compiler would cost seconds
  at every start. It computes what the NumPy passes compute, bit for bit: integers modulo
  2**64, the same table and probes, and sums of floats in NumPy's and scipy's order (no
  fused multiply-add).
- The fallback. Where it is not built (no C compiler: setup.py marks it optional),
  :data:`.compiled.kernel` is None and every caller runs the NumPy passes beside its call,
  more slowly, with the same results. They are the kernel's test oracle too
  (tests/text/test_kernel.py on awkward Unicode and the fixtures, test_kernel_fuzz.py on
  generated input), and a test fails where the kernel is not built, so CI tests the path
  users run.
- Start-up time. Nothing heavy imported (pandas took half a second of every run; scipy is not
  imported to tag); the character tables cost 15-40 ms, once a process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple, Sequence

import numpy as np

from . import compiled

TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # what scikit-learn's TfidfVectorizer would be given


_P = np.uint64(0x100000001B3)  # odd, so invertible modulo 2**64


MAX_CODEPOINT = 0x110000


def _inverse_mod_2_64(a: int) -> int:
    x = 1
    for _ in range(7):  # Newton's iteration doubles the correct low bits each time
        x = (x * (2 - a * x)) % (1 << 64)
    return x


_Q = np.uint64(_inverse_mod_2_64(int(_P)))


# Character classes, one bit each, for tokens (WORD) and sentences (the rest)
WORD, TERM, CLOSE, OPEN, SPACE, NEWLINE, START, BULLET = (1 << i for i in range(8))
# the only two characters whose lower case is not one character found by a table:
# "İ" lowers to two characters, and "Σ" to "ς" or "σ" depending on what follows it
_SPECIAL = "\u0130\u03a3"
# texts of a chunk are joined by a line break: not a word character, and a sentence end
SEP = "\n"


class CharTables(NamedTuple):
    lower: np.ndarray    # uint32: each code point's lower case (itself for _SPECIAL)
    classes: np.ndarray  # uint8: its class bits
    packed: np.ndarray   # uint32: lower << 8 | classes, both found by one gather


@lru_cache(maxsize=1)
def char_tables() -> CharTables:
    """Lower case and class of every code point. ``\\w`` and ``\\s`` are what ``re`` takes
    them to be (alphanumeric or ``_``; white space: a test checks against ``re``), the lower
    case is ``str.lower``'s own."""
    codes = np.arange(MAX_CODEPOINT, dtype=np.uint32)
    cls = word_and_space_classes(codes)
    cls[ord("\n")] = NEWLINE
    for chars, bit in ((".!?", TERM), ("\"'”’»)]", CLOSE), ("\"'“‘«([", OPEN),
                       ("-*•·–—", BULLET), ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZЄІЇҐ", START)):
        cls[[ord(c) for c in chars]] |= bit
    for lo, hi in (("À", "Ö"), ("Ø", "Þ"), ("А", "Я")):
        cls[ord(lo):ord(hi) + 1] |= START
    plain = codes.tobytes().decode("utf-32-le", "surrogatepass")
    for c in _SPECIAL:
        plain = plain.replace(c, " ")
    lower = written_codes([plain.lower()])[1:-1].copy()  # less the SEP on each side
    for c in _SPECIAL:
        lower[ord(c)] = ord(c)
    return CharTables(lower, cls, (lower << np.uint32(8)) | cls)


def word_and_space_classes(codes: np.ndarray) -> np.ndarray:
    """WORD for the alphanumeric code points and ``_``, SPACE for the white space, as
    ``str.isalnum`` and ``str.isspace`` decide (by the kernel: importing np.char and its
    passes cost a twentieth of a second at every start)."""
    cls = np.zeros(len(codes), dtype=np.uint8)
    if compiled.kernel is not None:
        compiled.kernel.word_and_space(np.ascontiguousarray(codes, dtype=np.uint32), cls, WORD, SPACE)
        return cls
    as_chars = codes.view("<U1")
    cls[np.char.isalnum(as_chars) | (codes == ord("_"))] |= WORD
    cls[np.char.isspace(as_chars)] |= SPACE
    return cls


class Chars(NamedTuple):
    """The texts of a chunk as one array of code points, joined by :data:`SEP`."""

    lower: np.ndarray    # uint32 lower-case code points (the two in _SPECIAL kept as they are)
    classes: np.ndarray  # uint8 class bits of each character as written
    starts: np.ndarray   # where each text starts
    lengths: np.ndarray  # each text's length


def chars(texts: Sequence[str]) -> Chars:
    """The texts' characters, lowered and classified, with a :data:`SEP` before the first
    and after the last (so that a look one character beyond either end sees a SEP)."""
    texts = list(texts)
    starts, lengths = _text_starts(texts)
    at = written_codes(texts).astype(np.intp)  # one copy of the text, not three
    # one gather of both tables, by take() with intp indices (the fastest NumPy gather)
    packed = char_tables().packed.take(at)
    return Chars(packed >> np.uint32(8), packed.astype(np.uint8), starts, lengths)


def _text_starts(texts: list) -> tuple[np.ndarray, np.ndarray]:
    """Where each text starts in the chunk (after the SEP before it), and its length."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.ones(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    starts[1:] += 1
    return starts, lengths


class Powers:
    """Q**j and P**j modulo 2**64 for j < n, grown on demand."""

    def __init__(self):
        self.n = 0
        self.q = self.p = np.ones(0, dtype=np.uint64)

    def get(self, n: int):
        if n > self.n:
            m = max(n, 2 * self.n, 1 << 16)
            self.q, self.p = _powers(_Q, m), _powers(_P, m)
            self.n = m
        return self.q, self.p


def _powers(base: np.uint64, m: int) -> np.ndarray:
    """base**j modulo 2**64 for j < m, by doubling: the first k powers times base**k give
    the next k (a cumulative product of m values costs ten times as much at start-up)."""
    out = np.empty(m, dtype=np.uint64)
    out[0], k = 1, 1
    with np.errstate(over="ignore"):
        while k < m:
            step = min(k, m - k)
            np.multiply(out[:step], out[k - 1] * base, out=out[k:k + step])
            k += step
    return out


def written_codes(texts: Sequence[str]) -> np.ndarray:
    """The texts' code points as written, joined as :func:`chars` joins them."""
    return np.frombuffer(SEP.join(["", *texts, ""]).encode("utf-32-le", "surrogatepass"),
                         dtype=np.uint32)


def _tokens(cps: np.ndarray, isword: np.ndarray, powers: Powers):
    """Starts, ends and hashes of the word tokens (2+ word characters), in code points."""
    n = len(cps)
    padded = np.zeros(n + 2, dtype=bool)
    padded[1:-1] = isword
    # word runs start and end where the class changes; starts and ends strictly alternate
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    starts, ends = edges[0::2], edges[1::2]
    keep = (ends - starts) >= 2
    starts, ends = starts[keep], ends[keep]
    q, p = powers.get(n + 1)
    with np.errstate(over="ignore"):
        prefix = np.empty(n + 1, dtype=np.uint64)
        prefix[0] = 0
        np.multiply(cps, q[:n], out=prefix[1:], dtype=np.uint64)
        np.cumsum(prefix[1:], out=prefix[1:])  # in place: no second array of the text's size
        # sum_j c_j Q^j over the token, shifted by P^start: a hash independent of position
        hashes = prefix.take(ends)
        hashes -= prefix.take(starts)
        hashes *= p.take(starts)
    return starts, ends, hashes


class Tokens(NamedTuple):
    """Word tokens of a slice of documents, in reading order."""

    doc: np.ndarray     # which document each token belongs to
    hashes: np.ndarray  # each token's 64-bit hash
    n_docs: int
    starts: np.ndarray | None = None  # where each token starts and ends in ``chars``
    ends: np.ndarray | None = None
    chars: Chars | None = None        # the texts, for sentences
    texts: list | None = None         # the texts themselves (scikit-learn's path reads them)


def tokenize(texts, powers: Powers | None = None, *, lower: bool = True) -> Tokens:
    """Word tokens (2+ word characters) of every text, lower-cased unless ``lower`` is
    False, as hashes, with their places in the texts as written."""
    texts = list(texts)
    n_docs = len(texts)
    if n_docs == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Tokens(empty, np.zeros(0, dtype=np.uint64), 0, empty, empty, chars([]), texts)
    scan = numpy_scan if compiled.kernel is None else compiled_scan
    powers = powers or Powers()  # one set for both scans below (the NumPy path's)
    text, starts, ends, hashes, doc, special = scan(texts, powers, lower)
    if not (lower and special):
        return Tokens(doc, hashes, n_docs, starts, ends, text, texts)
    # str.lower itself, where a table cannot be exact
    lowered, starts, ends, hashes, doc, _ = scan([t.lower() for t in texts], powers, True)
    # back to places in the texts as written ("İ" lowers to two characters)
    shift = text.starts - lowered.starts
    cap = text.starts + text.lengths
    return Tokens(doc, hashes, n_docs, np.minimum(starts + shift[doc], cap[doc]),
                  np.minimum(ends + shift[doc], cap[doc]), text, texts)


class Scan(NamedTuple):
    """A chunk's characters and word tokens, as one pass over the texts finds them."""

    chars: Chars
    starts: np.ndarray  # each token's start and end in ``chars``
    ends: np.ndarray
    hashes: np.ndarray  # its hash: the lower-case code points' (or as written)
    doc: np.ndarray     # its document
    special: bool       # a character of _SPECIAL is in the texts (lower case by table inexact)


def numpy_scan(texts: list, powers: Powers, lower: bool = True) -> Scan:
    """:class:`Scan` by NumPy passes over the whole chunk (what the compiled kernel is
    compared with)."""
    text = chars(texts)
    isword = (text.classes & WORD).view(bool)  # lowering never changes it (a test checks)
    codes = text.lower if lower else written_codes(texts)
    starts, ends, hashes = _tokens(codes, isword, powers)
    # each text's tokens are a run: its document by counting them (a search per text, not
    # per token)
    doc = np.repeat(np.arange(len(texts)), np.diff(np.searchsorted(starts, [*text.starts, len(codes)])))
    special = lower and any(c in t for t in texts for c in _SPECIAL)
    return Scan(text, starts, ends, hashes, doc, special)


def compiled_scan(texts: list, powers: Powers | None = None, lower: bool = True) -> Scan:
    """:class:`Scan` by the compiled kernel's one pass over each text's own code points
    (``powers`` unused: it hashes token by token)."""
    starts, lengths = _text_starts(texts)
    total = int(lengths.sum()) + len(texts) + 1
    text = Chars(np.empty(total, dtype=np.uint32), np.empty(total, dtype=np.uint8), starts, lengths)
    room = total // 3 + 1  # a token is two characters or more, and a non-word one follows it
    # four arrays, not one: NumPy asks for huge pages from 4 MB on, each zeroed whole, and
    # only about half the room is used
    starts, ends, doc = (np.empty(room, dtype=np.int64) for _ in range(3))
    hashes = np.empty(room, dtype=np.uint64)
    n, special = compiled.kernel.scan(texts, char_tables().packed, int(_Q), lower, text.lower,
                                      text.classes, starts, ends, doc, hashes)
    return Scan(text, starts[:n], ends[:n], hashes[:n], doc[:n], special)


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
