"""Linear scores from sparse entries: scipy's CSR product adds what a bincount per tag
added, in the same order, so the tags and scores stay the same to the last bit."""

import sys

import numpy as np
import pytest

from conftest import SHIPPED_MODEL, fixture_texts
from tagger import load_model
from tagger.model import sentencescores as sentences
from tagger.model.sentencescores import sentence_logits, sentence_rows, sparse_products
from tagger.text import compiled
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


@pytest.mark.parametrize("path", ["kernel", "scipy", "numpy"])  # who sums the entries
def test_document_scores_are_the_bincounts_to_the_last_bit(shipped, monkeypatch, path):

    model, _, texts, tokens, hits = shipped
    if path == "kernel" and compiled.kernel is None:
        pytest.skip("the compiled kernel is not built")
    if path != "kernel":
        monkeypatch.setattr(compiled, "kernel", None)
        # entries NumPy sums before scipy is imported to sum the rest
        monkeypatch.setattr(sentences, "SPARSE_AFTER", 0 if path == "scipy" else 10**12)
        monkeypatch.delitem(sys.modules, "scipy.sparse", raising=False)
    rows, cols, values = model._tfidf_entries(tokens, hits)
    terms = model.coef[:, :model.n_terms]
    expected = bincount_products(rows, cols, values, len(texts), terms)
    got = sparse_products(rows, cols, values, len(texts), np.ascontiguousarray(terms.T))
    assert got.shape == expected.shape and np.array_equal(got, expected)
    if path != "kernel":
        assert ("scipy.sparse" in sys.modules) == (path == "scipy")
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


@pytest.mark.parametrize("columns", [1, 4, 12, 20])  # in registers; straight into out; >16: rows
@pytest.mark.parametrize("with_cues", [True, False])
def test_sentences_scored_as_found_are_the_logits_of_their_entries(shipped, columns, with_cues):
    """The kernel's sums as the hits are found are sentence_logits of sentence_rows, bit
    for bit: each sentence's products added in the order its entries are placed."""
    model, featurizer, _, tokens, hits = shipped
    cues = cue_matcher() if with_cues else None
    n_cols = len(model.idf) + (cue_matcher().n if with_cues else 0)
    coef = np.random.default_rng(columns).normal(size=(columns, n_cols))
    intercept = np.linspace(-1, 1, columns)
    rows = sentence_rows(featurizer, tokens, model.idf, hits, cues=cues, cue_value=0.3)
    expected = sentence_logits(rows, coef, intercept)
    found, got, made = sentences.scored_sentences(featurizer, tokens, model.idf, coef, intercept,
                                                  hits=hits, cues=cues, cue_value=0.3)
    assert (made is None) == (columns <= 16 and compiled.kernel is not None)  # made if need be
    assert rows.n > 100 and np.array_equal(found.doc, rows.sentences.doc)
    assert got.shape == expected.shape and np.array_equal(got, expected)


def test_the_kernel_refuses_weights_of_another_shape(shipped):

    model, featurizer, _, tokens, hits = shipped
    if compiled.kernel is None:
        pytest.skip("the compiled kernel is not built")
    sent = np.zeros(len(tokens.hashes), dtype=np.int64)
    out = np.zeros((1, 4))
    with pytest.raises(ValueError, match="a row per feature"):
        compiled.kernel.sentence_scores(sent, [(int(n), a, f) for n, a, f in hits], model.idf, 1,
                                        None, 0.0, np.zeros((len(model.idf) - 1, 4)), out)
