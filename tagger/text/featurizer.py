"""The one seam between texts and the model: tokens, n-gram hits, keyword hits, sentences.

Everything the model reads of a slice of texts comes from a :class:`Featurizer`:

- ``tokenize``: the word tokens (scikit-learn's ``(?u)\\b\\w\\w+\\b`` on the lower-cased
  text), as 64-bit hashes with their places in the texts (:mod:`.tokens`);
- ``ngram_hits``: every occurrence of a vocabulary n-gram, per length n, as (n, index of
  its first token, feature), and ``counts``, the (document, feature, count) entries they
  make, equal to ``CountVectorizer.transform``'s counts;
- ``keyword_hits`` and ``keyword_counts``: the schema keywords mentioned in context
  (:mod:`.keywords`);
- ``sentences``: the sentence spans (:mod:`.sentences`).

Two paths sit behind it, named in :data:`FEATURIZERS` and chosen in one place,
:func:`make_featurizer`. The fast path (``fast``) finds n-gram hits over token hashes
(:class:`~tagger.text.ngrams.NgramCounter`; its loops compiled, :mod:`.tokens` says
which); it runs for every model tagger writes.
The scikit-learn path (``sklearn``) finds them with scikit-learn's own analyzer, one
document at a time in Python, for a vocabulary the fast path cannot key exactly (a term
that is not a sequence of word tokens, a hash collision, n-grams longer than three). Both
give the same hits (a test compares them), so the TF-IDF, keyword and sentence features
built on them, and the tags, do not depend on the path. Tokens, keyword hits and sentences
are the same code on both paths: their rules are our own (keywords, sentences) or
scikit-learn's token pattern, which :mod:`.tokens` reproduces exactly.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .keywords import Lexicon
from .ngrams import NgramCounter, hit_counts
from .sentences import Sentences, sentence_spans, sentences_of
from .tokens import TOKEN_PATTERN, Powers, Tokens, phrase_hashes, tokenize

Hits = list  # [(n, first token of each occurrence, its feature)], per n-gram length n


class Featurizer:
    """Tokens, keyword hits and sentences of texts; n-gram hits of a vocabulary, if any.

    Without a vocabulary (``vocabulary=None``) it finds no n-gram hits: what training and
    drift need of texts before a vocabulary exists. Subclasses find the n-gram hits."""

    name = "text"

    def __init__(self, vocabulary: dict[str, int] | None = None,
                 ngram_range: tuple[int, int] = (1, 1), lexicon: Lexicon | None = None):
        self.vocabulary = vocabulary or {}
        self.n_features = len(self.vocabulary)
        self.ngram_range = tuple(ngram_range)
        self.lexicon = lexicon
        self.powers = Powers()

    def tokenize(self, texts: Sequence[str]) -> Tokens:
        """The word tokens of a slice of texts (a hundred or so at a time: see TaggerModel.SLICE)."""
        return tokenize(texts, self.powers)

    def ngram_hits(self, tokens: Tokens) -> Hits:
        return []

    def counts(self, tokens: Tokens, hits: Hits | None = None):
        """Non-zero n-gram counts as (document, feature, count) arrays, by document and
        feature: CountVectorizer's counts for the vocabulary."""
        hits = self.ngram_hits(tokens) if hits is None else hits
        return hit_counts(tokens, hits, self.n_features)

    def keyword_hits(self, tokens: Tokens) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per keyword list, its mentions in context as (first token, last token) arrays."""
        return [] if self.lexicon is None else self.lexicon.occurrences(tokens)

    def keyword_counts(self, tokens: Tokens) -> np.ndarray:
        """(n_docs x n_lists) keyword mentions in context."""
        if self.lexicon is None:
            return np.zeros((tokens.n_docs, 0), dtype=np.int64)
        return self.lexicon.counts(tokens)

    def keyword_features(self, tokens: Tokens, weight: float = 1.0) -> np.ndarray:
        """Keyword features (n_docs x n_lists): log(1 + mentions in context), scaled.

        A count, not a share of the text: one sentence about a topic is what the labels
        ask for, however long the article around it."""
        return np.log1p(self.keyword_counts(tokens)) * weight

    def keyword_matrix(self, texts: Sequence[str], weight: float = 1.0, step: int = 256):
        """Keyword features of many texts, ``step`` texts at a time."""
        parts = [self.keyword_features(self.tokenize(texts[i:i + step]), weight)
                 for i in range(0, len(texts), step)]
        n_lists = 0 if self.lexicon is None else self.lexicon.n_lists
        return np.vstack(parts) if parts else np.zeros((0, n_lists))

    @staticmethod
    def sentences(tokens: Tokens) -> Sentences:
        return sentences_of(tokens)

    @staticmethod
    def sentence_spans(text: str) -> list[tuple[int, int]]:
        """(start, end) of each sentence of one text, in order."""
        return sentence_spans(text)

    @staticmethod
    def phrase_hashes(phrases: Sequence[str]) -> list[np.ndarray]:
        """Hashes of each phrase's word tokens, as the texts' tokens are hashed."""
        return phrase_hashes(phrases)


class FastFeaturizer(Featurizer):
    """N-gram hits by NumPy passes over token hashes (:class:`NgramCounter`)."""

    name = "fast"

    def __init__(self, vocabulary, ngram_range, lexicon=None):
        super().__init__(vocabulary, ngram_range, lexicon)
        self.counter = NgramCounter(self.vocabulary, self.ngram_range)  # ValueError: cannot key it

    def tokenize(self, texts):
        return self.counter.tokenize(texts)

    def ngram_hits(self, tokens):
        return self.counter.hits(tokens)


class SklearnFeaturizer(Featurizer):
    """N-gram hits from scikit-learn's own analyzer, one document at a time.

    The analyzer gives a document's n-grams as strings: its m tokens, then its m - 1
    bigrams, and so on (``_word_ngrams``), so the i-th n-gram of length n starts at the
    document's i-th token. Each is looked up in the vocabulary; the document's m must be
    the number of tokens :func:`tokenize` found, or the two tokenizers disagree."""

    name = "sklearn"

    def __init__(self, vocabulary, ngram_range, lexicon=None):
        from sklearn.feature_extraction.text import CountVectorizer

        super().__init__(vocabulary, ngram_range, lexicon)
        self.analyze = CountVectorizer(token_pattern=TOKEN_PATTERN, lowercase=True,
                                       ngram_range=self.ngram_range).build_analyzer()
        # the lengths the vocabulary has terms of: one entry each in the hits, as the fast
        # path gives them
        self.lengths = {t.count(" ") + 1 for t in self.vocabulary}

    def ngram_hits(self, tokens):
        if tokens.n_docs == 0:
            return []
        lo, hi = self.ngram_range
        first = np.searchsorted(tokens.doc, np.arange(tokens.n_docs + 1))
        found = {n: ([], []) for n in range(lo, hi + 1)}
        get = self.vocabulary.get
        for d, text in enumerate(tokens.texts):
            grams, m, offset = self.analyze(text), int(first[d + 1] - first[d]), 0
            for n in range(lo, hi + 1):
                block = grams[offset:offset + max(m - n + 1, 0)]
                offset += len(block)
                at, feat = found[n]
                for i, gram in enumerate(block):
                    f = get(gram)
                    if f is not None:
                        at.append(int(first[d]) + i)
                        feat.append(f)
            if offset != len(grams):
                raise ValueError("scikit-learn's tokens of a text differ from tagger's")
        return [(n, np.array(at, dtype=np.int64), np.array(feat, dtype=np.int64))
                for n, (at, feat) in found.items() if n in self.lengths]


# the paths behind the seam, by name
FEATURIZERS: dict[str, type[Featurizer]] = {"fast": FastFeaturizer, "sklearn": SklearnFeaturizer}


def make_featurizer(vocabulary: dict[str, int], params: dict, lexicon: Lexicon | None = None,
                    path: str | None = None) -> Featurizer:
    """The featurizer for a vocabulary and its TfidfVectorizer ``params``: the fast path
    whenever it covers them (the options tagger's models are written with, and a
    vocabulary it keys exactly), else scikit-learn's; ``path`` names one (tests compare)."""
    ngram_range = tuple(params.get("ngram_range", (1, 1)))
    if path is None:
        if NgramCounter.supports(params):
            try:
                return FastFeaturizer(vocabulary, ngram_range, lexicon)
            except ValueError:  # a vocabulary it cannot key exactly
                pass
        path = "sklearn"
    return FEATURIZERS[path](vocabulary, ngram_range, lexicon)


TEXT = Featurizer()  # tokens and sentences alone, for texts read before any vocabulary
