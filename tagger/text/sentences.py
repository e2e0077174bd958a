"""Sentences as character spans of the original text: one splitter for the whole package.

Rules of our own, tested on quotes, abbreviations, initials, headlines and bullet lists:
a sentence ends at ``.``, ``!`` or ``?`` (with any closing quotes or brackets after it)
followed by white space on the same line and then a capital letter, a digit, or opening
quotes or brackets before one; not at a full stop after a known abbreviation ("Mr.",
"Gen."), a single capital initial ("J. K. Rowling"), a dotted abbreviation ("U.S.",
"e.g.") or "No." before a number. A line break always ends a sentence (titles,
headlines and bullets stand alone), and a bullet marker at the start of a line is not
part of the sentence. Spans exclude surrounding white space, so ``text[start:end]`` is
the sentence exactly as written.

The rules run over a whole chunk of documents, on the code points and tokens the model
reads anyway (:func:`tagger.text.tokens.tokenize`): in the compiled kernel, one mark at a
time (:func:`compiled_bounds`), or as a few NumPy passes where it is not built
(:func:`numpy_bounds`, its test oracle). Splitting costs the tagging path a few
microseconds per article.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from . import compiled
from .lookup import KeyIndex, sorted_unique
from .tokens import (CLOSE, NEWLINE, OPEN, SPACE, START, TERM, WORD, BULLET, Tokens,
                     phrase_hashes, tokenize)

# abbreviations that end with a full stop but rarely end a sentence (the dotted ones, "U.S.",
# "U.K.", "U.N.", "U.S.A.", "e.g." and "i.e.", are in _DOTTED)
ABBREVIATIONS = tuple("""
mr mrs ms dr prof gen lt col maj capt sgt adm cmdr gov sen rep rev st mt ft jr sr
vol pp fig approx dept est inc ltd co corp vs al
jan feb mar apr jun jul aug sep sept oct nov dec
""".split())
# dotted abbreviations, by the letters either side of their inner full stop ("u.s.a."
# ends in "s.a.")
_DOTTED = np.array([ord(a) * 0x110000 + ord(b) for a, b in ("us", "uk", "un", "eg", "ie", "sa")])
_RUN_STEPS = 8  # runs longer than this (of quotes, spaces...) are walked one at a time


class Sentence(NamedTuple):
    start: int
    end: int
    text: str


class Sentences(NamedTuple):
    """The sentences of a chunk of documents, in reading order."""

    doc: np.ndarray    # which document each sentence belongs to
    start: np.ndarray  # offsets into that document's text
    end: np.ndarray


@lru_cache(maxsize=1)
def _word_hashes() -> tuple[KeyIndex, KeyIndex]:
    """The abbreviations' and "no"/"nos"' hashes, indexed: a lookup per candidate sentence
    end, a fraction of np.isin's cost (it sorts)."""
    hashes = phrase_hashes([*ABBREVIATIONS, "no", "nos"])
    return (KeyIndex(sorted_unique(np.array([h[0] for h in hashes[:-2]], dtype=np.uint64))),
            KeyIndex(np.array([h[0] for h in hashes[-2:]], dtype=np.uint64)))


def _get(values: np.ndarray, at: np.ndarray, default=0) -> np.ndarray:
    """values[at], the ends repeated beyond them (a chunk's characters begin and end with
    a line break, so a look beyond the text sees one), ``default`` if ``values`` is empty."""
    if len(values) == 0:
        return np.full(len(at), default)
    return values.take(at, mode="clip")


def _skip(classes: np.ndarray, at: np.ndarray, bits: int, step: int = 1) -> np.ndarray:
    """Move each position forward (step 1) or back (-1) while its class has ``bits``."""
    at = at.copy()
    for _ in range(_RUN_STEPS):
        more = (_get(classes, at) & bits) != 0
        if not more.any():
            return at
        at += step * more
    for i in np.flatnonzero((_get(classes, at) & bits) != 0):  # long runs: rare
        j = int(at[i])
        while 0 <= j < len(classes) and classes[j] & bits:
            j += step
        at[i] = j
    return at


def _line_content(cls: np.ndarray, codes: np.ndarray, begin: np.ndarray) -> np.ndarray:
    """Where each line's text starts: after white space and a bullet marker."""
    at = _skip(cls, begin, SPACE)
    marker = (_get(cls, at) & BULLET) != 0
    after = at + 1
    digits = np.zeros(len(at), dtype=np.int64)
    for k in range(3):  # "1." or "12)": up to three digits
        is_digit = (_get(codes, at + k) >= 48) & (_get(codes, at + k) <= 57) & (digits == k)
        digits += is_digit
    closer = _get(codes, at + digits)
    numbered = (digits > 0) & ((closer == ord(".")) | (closer == ord(")")))
    after = np.where(numbered, at + digits + 1, after)
    bullet = (marker | numbered) & ((_get(cls, after) & SPACE) != 0)
    return np.where(bullet, _skip(cls, after, SPACE), at)


def _boundaries(tokens: Tokens, cls: np.ndarray, codes: np.ndarray, marks: np.ndarray):
    """(end of a sentence, start of the next) for every sentence end inside a line."""
    p = marks[(cls[marks] & TERM) != 0]
    p = p[(_get(cls, p - 1) & TERM) == 0]  # the first mark of a run
    q = _skip(cls, p + 1, TERM | CLOSE)
    gap = (_get(cls, q) & SPACE) != 0
    p, q = p[gap], q[gap]
    nxt = _skip(cls, q, SPACE)
    first = _skip(cls, nxt, OPEN)
    ok = (_get(cls, first) & START) != 0
    p, q, nxt, first = p[ok], q[ok], nxt[ok], first[ok]
    stop = _get(codes, p) == ord(".")
    if stop.any():
        abbreviations, numbers = _word_hashes()
        # the word just before the full stop, if it is a token
        i = np.searchsorted(tokens.ends, p)
        i_ok = (i < len(tokens.ends)) & (_get(tokens.ends, i, -1) == p)
        h = _get(tokens.hashes, i, 0)
        whole = _get(codes, _get(tokens.starts, i, 0) - 1) != ord(".")
        abbreviated = i_ok & whole & (abbreviations.get_indexer(h) >= 0)
        digit_next = (_get(codes, first) >= 48) & (_get(codes, first) <= 57)
        numbered = i_ok & whole & (numbers.get_indexer(h) >= 0) & digit_next
        # one word character before the stop: an initial ("J.") or a dotted abbreviation
        single = ((_get(cls, p - 1) & WORD) != 0) & ((_get(cls, p - 2) & WORD) == 0)
        before = _get(codes, p - 2)
        initial = single & (before != ord(".")) & ((_get(cls, p - 1) & START) != 0) & \
            ~((_get(codes, p - 1) >= 48) & (_get(codes, p - 1) <= 57))
        pair = _get(codes, p - 3).astype(np.int64) * 0x110000 + _get(codes, p - 1)
        dotted = single & (before == ord(".")) & ((_get(cls, p - 4) & WORD) == 0) & \
            np.isin(pair, _DOTTED)
        keep = ~(stop & (abbreviated | numbered | initial | dotted))
        q, nxt = q[keep], nxt[keep]
    return q, nxt


def sentences_of(tokens: Tokens) -> Sentences:
    """The sentences of every document of a chunk, from its :func:`tokenize` tokens."""
    text = tokens.chars
    starts, stops = (numpy_bounds if compiled.kernel is None else compiled_bounds)(tokens)
    keep = stops > starts
    starts, stops = starts[keep], stops[keep]
    doc = np.searchsorted(text.starts, starts, side="right") - 1
    return Sentences(doc, starts - text.starts[doc], stops - text.starts[doc])


def numpy_bounds(tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    """Every line's content and sentence start, and every line's and sentence's end, in the
    chunk, each sorted (a start pairs with the end of the same rank), by NumPy passes."""
    text = tokens.chars
    cls, codes = text.classes, text.lower
    marks = np.flatnonzero((cls & (TERM | NEWLINE)) != 0)  # the one pass over every character
    breaks = marks[(cls[marks] & NEWLINE) != 0]
    line_begin, line_end = breaks[:-1] + 1, breaks[1:]
    content = _line_content(cls, codes, line_begin)
    ends, nexts = _boundaries(tokens, cls, codes, marks)
    # a sentence end inside a line's bullet marker does not count
    line = np.searchsorted(line_begin, ends, side="right") - 1
    inside = ends > content[line]
    ends, nexts = ends[inside], nexts[inside]
    trimmed = _skip(cls, line_end - 1, SPACE, step=-1) + 1
    return np.sort(np.concatenate([content, nexts])), np.sort(np.concatenate([trimmed, ends]))


def compiled_bounds(tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    """:func:`numpy_bounds` by the compiled kernel: the same rules, one mark at a time."""
    text = tokens.chars
    abbreviations, numbers = _word_hashes()
    starts, stops = compiled.kernel.sentences(
        text.classes, text.lower, np.ascontiguousarray(tokens.starts, dtype=np.int64),
        np.ascontiguousarray(tokens.ends, dtype=np.int64), tokens.hashes, abbreviations.table(),
        numbers.table(), _DOTTED, (WORD, TERM, CLOSE, OPEN, SPACE, NEWLINE, START, BULLET))
    return np.frombuffer(starts, dtype=np.int64), np.frombuffer(stops, dtype=np.int64)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, in order."""
    found = sentences_of(tokenize([text]))
    return list(zip(found.start.tolist(), found.end.tolist()))


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text``, in order, as (start, end, text) with text[start:end]."""
    return [Sentence(a, b, text[a:b]) for a, b in sentence_spans(text)]
