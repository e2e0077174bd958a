"""Linear scores from sparse entries: scipy's CSR product adds what a bincount per tag
added, in the same order, so the tags and scores stay the same to the last bit."""

import sys

import numpy as np
import pytest

from conftest import SHIPPED_MODEL, fixture_texts
from tagger import load_model
from tagger.model import sentencescores as sentences
from tagger.model.sentencescores import sentence_logits, sentence_rows, sparse_products
from tagger.text.cues import cue_matcher


def bincount_products(rows, cols, values, n_rows, weights):
    """Per tag k, sum of values * weights[k, cols] over each row's entries, in entry order:
    how the scores were added up before the CSR product."""
    out = np.empty((n_rows, len(weights)))
    for k in range(len(weights)):
        out[:, k] = np.bincount(rows, weights=values * weights[k].take(cols), minlength=n_rows)
    return out


@pytest.fixture(scope="module")
def shipped():
    model = load_model(SHIPPED_MODEL)
    featurizer = model.featurizer()
    texts = fixture_texts()
    tokens = featurizer.tokenize(texts)
    return model, featurizer, texts, tokens, featurizer.ngram_hits(tokens)


@pytest.mark.parametrize("scipy_from", [0, 10**12])  # entries NumPy sums before scipy
def test_document_scores_are_the_bincounts_to_the_last_bit(shipped, monkeypatch, scipy_from):
    model, _, texts, tokens, hits = shipped
    monkeypatch.setattr(sentences, "SPARSE_AFTER", scipy_from)
    if scipy_from:
        monkeypatch.delitem(sys.modules, "scipy.sparse", raising=False)
    rows, cols, values = model._tfidf_entries(tokens, hits)
    terms = model.coef[:, :model.n_terms]
    expected = bincount_products(rows, cols, values, len(texts), terms)
    got = sparse_products(rows, cols, values, len(texts), np.ascontiguousarray(terms.T))
    assert got.shape == expected.shape and np.array_equal(got, expected)
    assert ("scipy.sparse" in sys.modules) != bool(scipy_from)
    assert np.array_equal(model._linear_scores(rows, cols, values, len(texts)),
                          expected + model.intercept)


def test_sentence_entries_come_by_sentence_in_the_order_found(shipped, monkeypatch):
    model, featurizer, _, tokens, hits = shipped
    monkeypatch.setattr(sentences, "SPARSE_AFTER", 0)  # summed by scipy
    found = sentence_rows(featurizer, tokens, model.idf, hits, cues=cue_matcher(), cue_value=1.0)
    assert (np.diff(found.rows) >= 0).all() and found.n > 100
    # the entries as found (n-grams by length, then cues) were summed per sentence by a
    # bincount per tag; the CSR product of the sorted entries gives the same bits
    plain = sentence_rows(featurizer, tokens, model.idf, hits)
    cues = found.cols >= len(model.idf)
    unsorted = (np.concatenate([plain.rows, found.rows[cues]]),
                np.concatenate([plain.cols, found.cols[cues]]),
                np.concatenate([plain.values, found.values[cues]]))
    expected = bincount_products(*unsorted, found.n, model.sentence_coef)
    got = sentence_logits(found, model.sentence_coef, np.zeros(len(model.tags)))
    assert np.array_equal(got, expected)
    # and the n-gram entries are those of the sentences without cues, in the same order
    assert np.array_equal(plain.cols, found.cols[~cues]) and np.array_equal(plain.rows, found.rows[~cues])
