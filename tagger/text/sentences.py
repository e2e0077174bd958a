"""Sentences as character spans of the original text: one splitter for the whole package.

Rules of our own, tested on quotes, abbreviations, initials, headlines and bullet lists:
a sentence ends at ``.``, ``!`` or ``?`` (with any closing quotes or brackets after it)
followed by white space and then a capital letter, a digit, or an opening quote or
bracket; not after a known abbreviation or a single capital initial. A line break
always ends a sentence (titles, headlines and bullets stand alone), and a bullet marker
at the start of a line is not part of the sentence. Spans exclude surrounding white
space, so ``text[start:end]`` is the sentence exactly as written.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# abbreviations that end with a full stop but rarely end a sentence
ABBREVIATIONS = frozenset("""
mr mrs ms dr prof gen lt col maj capt sgt adm cmdr gov sen rep rev st mt ft jr sr
vol pp fig approx dept est inc ltd co corp vs al e.g i.e u.s u.k u.n u.s.a
jan feb mar apr jun jul aug sep sept oct nov dec
""".split())

# an end of sentence: terminal punctuation, closing quotes/brackets, white space, and a
# next sentence that starts with a capital, a digit or an opening quote/bracket
_BOUNDARY = re.compile(r"""([.!?]+)(["'”’»)\]]*)(\s+)(?=["'“‘«(\[]*[A-Z0-9À-ÖØ-ÞА-ЯЄІЇҐ])""")
_BULLET = re.compile(r"\s*(?:[-*•·–—]|\d{1,3}[.)])\s+")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_NUMBER_NEXT = re.compile(r"\s+\d")


class Sentence(NamedTuple):
    start: int
    end: int
    text: str


def _ends_sentence(text: str, dot_at: int) -> bool:
    """Is the full stop at ``dot_at`` the end of a sentence (not an abbreviation)?"""
    if text[dot_at] != ".":
        return True
    word = _WORD_BEFORE.search(text[max(0, dot_at - 12):dot_at])  # a short look back
    if word is None:
        return True
    w = word.group(1)
    if len(w) == 1 and w.isupper():  # an initial: "J. K. Rowling"
        return False
    if w.lower() in ("no", "nos"):  # "No. 10", but "said no."
        return _NUMBER_NEXT.match(text, dot_at + 1) is None
    return w.lower().rstrip(".") not in ABBREVIATIONS


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text``, in order, as (start, end, text) with text[start:end]."""
    out: list[Sentence] = []
    line_start = 0
    for line_end in [m.start() for m in re.finditer(r"\n", text)] + [len(text)]:
        start = line_start
        bullet = _BULLET.match(text, line_start, line_end)
        if bullet:
            start = bullet.end()
        for m in _BOUNDARY.finditer(text, start, line_end):
            if not _ends_sentence(text, m.start(1)):
                continue
            span = _trimmed(text, start, m.start(3))
            if span:
                out.append(Sentence(*span, text[span[0]:span[1]]))
            start = m.end(3)
        span = _trimmed(text, start, line_end)
        if span:
            out.append(Sentence(*span, text[span[0]:span[1]]))
        line_start = line_end + 1
    return out
