"""The tagging model: TF-IDF and keyword features, a linear scorer per tag, a threshold each.

This module tags; it never trains (:mod:`.train` does) and needs no scikit-learn to do so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..config import Settings
from ..io.records import Document
from ..text.cues import NAMES as CUE_NAMES, cue_matcher
from ..text.featurizer import Featurizer, make_featurizer
from ..text.keywords import lexicon_for
from ..text.tokens import TOKEN_PATTERN
from .drift import DriftCounts, near_threshold, unseen_tokens, word_index
from .predictions import Analysis, Prediction, evidence_of
from .sentencescores import best_sentences, row_products, scored_sentences, sigmoid, sparse_products


def vectorizer_params(settings: Settings) -> dict:
    """TfidfVectorizer arguments for these settings: all but the settings' own are fixed by
    the model format (never read from a model file)."""
    return dict(analyzer="word", lowercase=True, token_pattern=TOKEN_PATTERN,
                ngram_range=(1, settings.ngram_max), min_df=settings.min_df,
                max_df=settings.max_df, sublinear_tf=settings.sublinear_tf, norm="l2",
                smooth_idf=True, use_idf=True, dtype=np.float64)


def saved_vectorizer_params(settings: Settings) -> dict:
    """:func:`vectorizer_params` as model.json holds them (no dtype; lists for tuples)."""
    params = vectorizer_params(settings)
    params.pop("dtype")
    params["ngram_range"] = list(params["ngram_range"])
    return params


@dataclass
class TaggerModel:
    """A trained model: everything needed to tag, as plain arrays and settings.

    Tagging needs neither scikit-learn nor a pickled object: the vocabulary, IDF weights
    and coefficients are enough. What it reads of texts comes from :meth:`featurizer`
    (:mod:`tagger.text.featurizer`: the fast path, or scikit-learn's analyzer for a
    vocabulary the fast path cannot key); ``vectorizer`` rebuilds the equivalent
    scikit-learn TfidfVectorizer on demand.
    """

    tags: list[str]
    vocabulary: dict[str, int]  # term -> feature index
    idf: np.ndarray           # (n_features,)
    vectorizer_params: dict   # TfidfVectorizer keyword arguments
    coef: np.ndarray          # (n_tags, n_features)
    intercept: np.ndarray     # (n_tags,)
    thresholds: np.ndarray    # (n_tags,)
    settings: Settings
    # keyword lists behind the last coef columns: [{"tag", "keywords", "context"}]
    keywords: list = field(default_factory=list)
    # per tag, a linear scorer of sentences, whose best score in a document is one of the
    # last n_tags columns of coef (None: a model without sentence features)
    sentence_coef: np.ndarray | None = None       # (n_tags, n_terms + n_sentence_cues)
    sentence_intercept: np.ndarray | None = None  # (n_tags,)
    metadata: dict = field(default_factory=dict)
    # per training document, hashes of its id and text (tagger.model.provenance); None for
    # a model that does not record them
    training_hashes: np.ndarray | None = field(default=None, compare=False, repr=False)
    # every word of the training documents, as sorted token hashes (tagger.model.drift)
    training_words: np.ndarray | None = field(default=None, compare=False, repr=False)
    # a model just trained: the out-of-fold probabilities of its training documents (in
    # the order of the labelled documents), from the cross-validation that chose it; not saved
    out_of_fold: np.ndarray | None = field(default=None, compare=False, repr=False)
    # a featurizer path by name (tagger.text.featurizer.FEATURIZERS), or None: the one
    # make_featurizer chooses (tests tag through each and compare)
    featurizer_path: str | None = field(default=None, compare=False, repr=False)

    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # documents counted at a time: larger slices are slower (they fall out of CPU caches:
    # 256 took 1.1x the time of 64 to 128 on a 2-core machine with 2 MiB of L2 a core)
    SLICE = 128

    @property
    def n_features(self) -> int:
        """TF-IDF terms, then keyword features, then sentence features."""
        return self.coef.shape[1]

    @property
    def n_terms(self) -> int:
        return len(self.vocabulary)

    @property
    def n_sentence_features(self) -> int:
        return 0 if self.sentence_coef is None else len(self.tags)

    @property
    def n_keyword_features(self) -> int:
        return self.n_features - self.n_terms - self.n_sentence_features

    def _cached(self, key: str, make):
        """What ``make()`` returns, made on first use and kept."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def keyword_lexicon(self):
        """The keyword matcher (built on first use), or None without keyword features."""
        return self._cached("lexicon", lambda: lexicon_for(self.keywords, self.settings.keyword_window))

    @property
    def n_sentence_cues(self) -> int:  # cue columns of the sentence scorers, after the terms'
        return len(CUE_NAMES) if self.settings.sentence_cues > 0 else 0

    @property
    def vectorizer(self):
        """The equivalent fitted scikit-learn TfidfVectorizer (built on first use)."""
        if "vectorizer" not in self._cache:
            from sklearn.feature_extraction.text import TfidfVectorizer

            params = dict(self.vectorizer_params)
            params["ngram_range"] = tuple(params["ngram_range"])
            vec = TfidfVectorizer(**params, dtype=np.float64)
            vec.vocabulary_ = self.vocabulary
            vec.idf_ = self.idf
            self._cache["vectorizer"] = vec
        return self._cache["vectorizer"]

    def featurizer(self) -> Featurizer:
        """Tokens, n-gram hits, keyword hits and sentences of texts (built on first use):
        the fast path, or scikit-learn's, as :func:`~tagger.text.featurizer.make_featurizer`
        chooses for this vocabulary."""
        # the weighting below knows the norms the model format allows (it fixes "l2")
        if self.vectorizer_params.get("norm") not in ("l2", None):
            raise ValueError(f"unsupported TF-IDF norm {self.vectorizer_params['norm']!r}")
        return self._cached("featurizer", lambda: make_featurizer(
            self.vocabulary, self.vectorizer_params, self.keyword_lexicon(), path=self.featurizer_path))

    def _tfidf_entries(self, tokens, hits):
        """TF-IDF values of the n-gram ``hits`` in ``tokens``, as (rows, cols, values),
        weighted and normalised as scikit-learn's TfidfVectorizer does (tests compare)."""
        p = self.vectorizer_params
        rows, cols, counts = self.featurizer().counts(tokens, hits)
        values = counts.astype(np.float64)
        if p.get("sublinear_tf"):
            np.log(values, out=values)
            values += 1.0
        if p.get("use_idf", True):
            values *= self.idf.take(cols)
        if p.get("norm") == "l2":
            norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=tokens.n_docs))
            norms[norms == 0.0] = 1.0
            values /= norms.take(rows)
        return rows, cols, values

    def _columns(self):
        """Slices of coef: TF-IDF terms, keyword features, sentence features."""
        t, k = self.n_terms, self.n_terms + self.n_keyword_features
        return slice(0, t), slice(t, k), slice(k, self.n_features)

    def transform(self, texts: Sequence[str]):
        """The model's features (a CSR matrix): TF-IDF equal to the scikit-learn
        vectorizer's, then the keyword features, then the sentence features, if any."""
        import scipy.sparse as sp

        texts = list(texts)
        parts = [self._slice(texts[i:i + self.SLICE], False, features=True).features
                 for i in range(0, len(texts), self.SLICE)]
        return sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, self.n_features))

    def analyse(self, texts: Sequence[str]) -> Analysis:
        """Everything the model computes for a few texts: logits, features, tokens, n-gram
        occurrences and sentence scores (what :mod:`tagger.model.explain` explains)."""
        return self._slice(list(texts), True, features=True)

    def _slice(self, part, evidence: bool, features: bool = False) -> Analysis:
        """What the model computes for a slice of texts: always the logits; the sentence
        evidence when asked for (or needed for sentence features); the features if asked.

        The evidence is (sentences, their scores, index of each document's best sentence
        per tag), from the sentence scorers, or for a model without them, from the
        document model's terms applied to each sentence alone."""
        if features:
            import scipy.sparse as sp
        featurizer = self.featurizer()
        terms, kw, sent = self._columns()
        X = best = rows = None
        tokens = featurizer.tokenize(part)  # one tokenization for every kind of feature
        hits = featurizer.ngram_hits(tokens)
        entries = self._tfidf_entries(tokens, hits)
        z = self._linear_scores(*entries, len(part))
        if features:
            X = sp.csr_matrix((entries[2], entries[:2]), shape=(len(part), self.n_terms))
        blocks = [X]
        if featurizer.lexicon is not None:
            K = featurizer.keyword_features(tokens, self.settings.keyword_weight)
            z += row_products(K, self.coef[:, kw])
            blocks.append(K)
        if evidence or self.sentence_coef is not None:
            found, scores, rows = self._sentence_scores(featurizer, tokens, hits, features)
            top, which = best_sentences(scores, found.doc, len(part))
            if self.sentence_coef is not None:
                z += row_products(top, self.coef[:, sent])
                blocks.append(top)
            best = (found, scores, which)
        if features:
            X = sp.hstack([blocks[0], *(sp.csr_matrix(b) for b in blocks[1:])], format="csr")
            X.sort_indices()
        return Analysis(z, best, X, tokens, hits, rows)

    def _sentence_scores(self, featurizer, tokens, hits, features: bool):
        """(the sentences, their scores, their features as SentenceRows if ``features``): by
        the sentence scorers, or for a model without them by the document model's terms."""
        own = self.sentence_coef is not None
        coef, intercept = (self.sentence_coef, self.sentence_intercept) if own \
            else (self.coef[:, :self.n_terms], self.intercept)
        found, logits, rows = scored_sentences(
            featurizer, tokens, self.idf, coef, intercept, self._transposed(own), hits,
            cue_matcher() if own and self.n_sentence_cues else None, self.settings.sentence_cues,
            entries=features)
        return found, sigmoid(logits), rows

    def _linear_scores(self, rows, cols, values, n_docs: int) -> np.ndarray:
        """X @ coef.T + intercept from sparse entries (rows in order), without building X."""
        return sparse_products(rows, cols, values, n_docs, self._transposed(False)) + self.intercept

    def _transposed(self, sentences: bool) -> np.ndarray:
        """coef's term columns (or sentence_coef) transposed, C-contiguous, made once."""
        source = self.sentence_coef if sentences else self.coef
        held = self._cache.get(("transposed", sentences))
        if held is None or held[0] is not source:  # made again for a coef replaced
            part = source if sentences else source[:, :self.n_terms]
            held = self._cache[("transposed", sentences)] = (source, np.ascontiguousarray(part.T))
        return held[1]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of each tag (n_docs x n_tags)."""
        texts = list(texts)
        out = np.empty((len(texts), len(self.tags)))
        for i in range(0, len(texts), self.SLICE):
            part = texts[i:i + self.SLICE]
            out[i:i + len(part)] = sigmoid(self._slice(part, False).logits)
        return out

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """0/1 tag decisions from probabilities, by each tag's own threshold."""
        return (proba >= self.thresholds).astype(np.int8)

    def predict(self, docs: Sequence[Document], *, evidence: bool = True,
                drift: DriftCounts | None = None) -> list[Prediction]:
        """Tags and scores for each document, in order, with each assigned tag's evidence
        sentence unless ``evidence`` is False; the documents' drift figures are added to
        ``drift``, when given."""
        docs = list(docs)
        out: list[Prediction] = []
        for i in range(0, len(docs), self.SLICE):
            part = docs[i:i + self.SLICE]
            texts = [d.content for d in part]
            analysis = self._slice(texts, evidence)
            proba = sigmoid(analysis.logits)
            if drift is not None:
                words = self._cached("words", lambda: word_index(self.training_words))
                tokens, unseen = unseen_tokens(analysis, texts, words)
                drift.add(tokens=tokens, unseen=unseen, decided=proba >= self.thresholds,
                          near=near_threshold(proba, self.thresholds))
            found = evidence_of(part, self.tags, proba >= self.thresholds,
                                analysis.evidence) if evidence else None
            out.extend(self.predictions_from_proba([d.id for d in part], proba, found,
                                                   dates=[d.date for d in part]))
        return out

    def best_sentences(self, docs: Sequence[Document]) -> list[dict]:
        """For each document, every tag's best sentence of its text, given or not (as in
        :attr:`Prediction.evidence`): why a tag was given, or how close it came."""
        docs = list(docs)
        out: list[dict] = []
        for i in range(0, len(docs), self.SLICE):
            part = docs[i:i + self.SLICE]
            analysis = self._slice([d.content for d in part], True)
            every = np.ones((len(part), len(self.tags)), dtype=bool)
            out.extend(evidence_of(part, self.tags, every, analysis.evidence))
        return out

    def predictions_from_proba(self, ids: Sequence[str], proba: np.ndarray,
                               evidence: Sequence[dict] | None = None, *,
                               dates: Sequence[str] | None = None) -> list[Prediction]:
        chosen = proba >= self.thresholds
        rounded = np.round(proba, 6).tolist()
        out = []
        for j, (doc_id, row, mask) in enumerate(zip(ids, rounded, chosen.tolist())):
            out.append(Prediction(
                id=doc_id,
                tags=[t for t, m in zip(self.tags, mask) if m],
                scores=dict(zip(self.tags, row)),
                evidence=None if evidence is None else evidence[j],
                date=dates[j] if dates else "",
            ))
        return out

