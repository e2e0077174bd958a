"""Cues of who speaks and how, in a sentence: word classes that carry across years.

Whether a sentence earns a tag often rests less on its topic words than on its speaker and
mood: an official's warning is escalation rhetoric, a columnist's "might" is not. Each cue
is a class of words (declared once, in :data:`CUES`); a sentence's cue features say which
classes it holds, and a few pairs of them (:data:`PAIRS`). The words are roles and verbs,
not names, so they hold for events and people the training labels never saw.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .lookup import sieve, sorted_unique
from .tokens import Tokens, phrase_hashes

CUES: dict[str, tuple[str, ...]] = {
    # someone is reported as speaking
    "reporting": ("said", "says", "say", "told", "tells", "declared", "stated", "announced",
                  "according", "claimed", "claims", "insisted", "added", "spokesman",
                  "spokeswoman", "spokesperson", "statement", "interview", "speech"),
    # a threat or a warning
    "threat": ("warn", "warns", "warned", "warning", "warnings", "threat", "threats",
               "threaten", "threatens", "threatened", "threatening", "vow", "vowed", "vows",
               "retaliate", "retaliation", "retaliatory", "respond", "response",
               "consequences", "ultimatum", "escalate", "escalation", "provocation"),
    # a government, a military or a leader
    "official": ("president", "prime", "minister", "ministry", "kremlin", "government",
                 "official", "officials", "military", "army", "general", "commander",
                 "chief", "secretary", "chancellor", "leader", "leaders", "foreign",
                 "defence", "defense", "embassy", "ambassador", "parliament", "duma",
                 "council", "nato", "pentagon", "state", "envoy", "moscow", "tass"),
    # an analyst, a columnist, the paper's own voice
    "commentary": ("analyst", "analysts", "expert", "experts", "columnist", "commentator",
                   "commentators", "observers", "scholar", "scholars", "researcher",
                   "think", "tank", "professor", "we", "our", "us", "arguably", "perhaps"),
    # a possibility, not a statement
    "modal": ("may", "might", "could", "would", "should", "possibly", "if", "whether",
              "risk", "risks", "likely", "unlikely", "probably", "scenario"),
    "negation": ("not", "no", "never", "nor", "neither", "denied", "denies", "deny",
                 "without", "dismissed", "rejected"),
}
# pairs of cues, each a feature of its own: who warns, and who only supposes
PAIRS: tuple[tuple[str, str], ...] = (("official", "threat"), ("official", "reporting"),
                                      ("reporting", "threat"), ("commentary", "modal"),
                                      ("negation", "threat"))
NAMES: tuple[str, ...] = tuple(CUES) + tuple(f"{a}+{b}" for a, b in PAIRS)


class CueMatcher:
    """Finds the cue classes of sentences from their tokens' hashes."""

    def __init__(self):
        per_class = [sorted_unique(np.concatenate(phrase_hashes(list(words))))
                     for words in CUES.values()]
        every = np.concatenate(per_class)
        bits = np.concatenate([np.full(len(h), 1 << k, dtype=np.uint16)
                               for k, h in enumerate(per_class)])
        self.hashes, where = np.unique(every, return_inverse=True)
        self.bits = np.zeros(len(self.hashes), dtype=np.uint16)
        np.bitwise_or.at(self.bits, where, bits)  # a word may be in two classes
        self.index = {name: k for k, name in enumerate(CUES)}
        # a first sieve on each hash's low 16 bits: a table lookup, far cheaper than a search
        self.sieve = np.zeros(1 << 16, dtype=bool)
        self.sieve[(self.hashes & np.uint64(0xFFFF)).astype(np.int64)] = True

    @property
    def n(self) -> int:
        return len(NAMES)

    def features(self, tokens: Tokens, sentence: np.ndarray, n_sentences: int) -> np.ndarray:
        """(n_sentences x n) booleans: the cues (and pairs) each sentence holds; ``sentence``
        is each token's sentence (-1: none). One search of the cue words per token."""
        out = np.zeros((n_sentences, self.n), dtype=bool)
        # take(): a fraction of fancy indexing's cost on arrays of every token
        maybe = sieve(tokens.hashes, self.sieve, 0)
        maybe = maybe[sentence.take(maybe) >= 0]
        hashes = tokens.hashes.take(maybe)
        at = np.minimum(np.searchsorted(self.hashes, hashes), len(self.hashes) - 1)
        hit = self.hashes.take(at) == hashes
        bits, where = self.bits.take(at[hit]), sentence.take(maybe[hit])
        for k in range(len(CUES)):
            on = (bits >> k) & 1 == 1
            out[where[on], k] = True
        for j, (a, b) in enumerate(PAIRS):
            out[:, len(CUES) + j] = out[:, self.index[a]] & out[:, self.index[b]]
        return out


@lru_cache(maxsize=1)
def cue_matcher() -> CueMatcher:
    """The one CueMatcher (its tables never change)."""
    return CueMatcher()
