"""Which vocabulary terms are names or numbers: the words of one period.

A term is name-like when the texts mostly write it capitalised where a sentence does not
begin (Zaporizhzhia, Kherson, Shoigu), and number-like when it holds a digit (2022, 155mm,
s-300's "300"). Such words tie a model to the events of the months it was trained on; the
document model can weigh them less (see the ``name_weight`` setting).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

import numpy as np

# a word of two or more characters after white space that follows a character which does
# not end a sentence or open one (a sentence's end, a quotation mark, a bracket, a dash or
# a bullet): a word that does not begin a sentence
_MID_SENTENCE = re.compile(r"(?<=[^\s.!?:;\"'“”‘’«»()\[\]\-–—•*])[ \t]+(\w\w+)\b")
MAX_CHARS = 20_000  # read at most this much of each text: the share settles long before


def capitalised_share(texts: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Per lower-cased word: (occurrences not starting a sentence, of which capitalised)."""
    words = [w for text in texts for w in _MID_SENTENCE.findall(text[:MAX_CHARS])]
    total = Counter(w.lower() for w in words)
    capital = Counter(w.lower() for w in words if w[0].isupper())
    return {w: (n, capital[w]) for w, n in total.items()}


def name_like(vocabulary: dict[str, int], texts: Iterable[str], *, share: float = 0.5) -> np.ndarray:
    """A boolean per vocabulary index: the term holds a digit, or one of its words is
    written capitalised in more than ``share`` of its occurrences not starting a sentence."""
    counts = capitalised_share(texts)
    names = {w for w, (n, c) in counts.items() if n and c > share * n}
    out = np.zeros(len(vocabulary), dtype=bool)
    for term, j in vocabulary.items():
        words = term.split(" ")
        out[j] = any(ch.isdigit() for ch in term) or any(w in names for w in words)
    return out
