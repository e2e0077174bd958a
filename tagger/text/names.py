"""Which vocabulary terms are names or numbers: the words of one period.

A term is name-like when the texts mostly write it capitalised where a sentence does not
begin (Zaporizhzhia, Kherson, Shoigu), and number-like when it holds a digit (2022, 155mm,
s-300's "300"). Such words tie a model to the events of the months it was trained on; the
document model can weigh them less (see the ``name_weight`` setting).
"""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np

from .tokens import TOKEN_PATTERN

_TOKEN = re.compile(TOKEN_PATTERN)
# what may stand before a sentence's first word (after white space): its start, the end
# of the sentence before, a quotation mark, a dash or a bullet
_SENTENCE_START = set(".!?:;\"'“”‘’«»()[]-–—•*\n")
MAX_CHARS = 20_000  # read at most this much of each text: the share settles long before


def capitalised_share(texts: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Per lower-cased word: (occurrences not starting a sentence, of which capitalised)."""
    seen: dict[str, list[int]] = {}
    for text in texts:
        text = text[:MAX_CHARS]
        for m in _TOKEN.finditer(text):
            i = m.start() - 1
            while i >= 0 and text[i] in " \t":
                i -= 1
            if i < 0 or text[i] in _SENTENCE_START:
                continue
            word = m.group()
            entry = seen.setdefault(word.lower(), [0, 0])
            entry[0] += 1
            entry[1] += word[0].isupper()
    return {w: (n, c) for w, (n, c) in seen.items()}


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
