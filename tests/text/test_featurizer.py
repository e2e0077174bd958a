"""The featurizer seam: the fast path and scikit-learn's give the same tokens' n-gram hits,
counts, keyword hits and sentences, and a model tags the same through either, byte for byte."""

import json
from dataclasses import replace

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from conftest import SHIPPED_MODEL, fixture_texts
from test_features import TRICKY
from tagger.text.featurizer import FEATURIZERS, FastFeaturizer, SklearnFeaturizer, make_featurizer
from tagger.text.keywords import Lexicon
from tagger.text.tokens import TOKEN_PATTERN


def both_paths(vocabulary, ngram_range, lexicon=None):
    params = {"token_pattern": TOKEN_PATTERN, "ngram_range": ngram_range}
    return [make_featurizer(vocabulary, params, lexicon, path=p) for p in FEATURIZERS]


def same_arrays(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (1, 3), (2, 3)])
def test_both_paths_find_the_same_features(ngram_range):
    texts = fixture_texts() + TRICKY
    vocabulary = CountVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=ngram_range,
                                 min_df=2).fit(texts).vocabulary_
    lexicon = Lexicon([["air defence", "missiles"], ["power"]], [["ukraine"], []], 8)
    fast, slow = both_paths(vocabulary, ngram_range, lexicon)
    assert (fast.name, slow.name) == ("fast", "sklearn")
    for part in (texts[:7], texts[7:40], texts[40:], []):
        a, b = fast.tokenize(part), slow.tokenize(part)
        assert np.array_equal(a.hashes, b.hashes) and np.array_equal(a.doc, b.doc)
        hits_a, hits_b = fast.ngram_hits(a), slow.ngram_hits(b)
        assert [h[0] for h in hits_a] == [h[0] for h in hits_b]
        assert all(same_arrays(x[1:], y[1:]) for x, y in zip(hits_a, hits_b))
        assert same_arrays(fast.counts(a), slow.counts(b))
        assert all(same_arrays(x, y) for x, y in zip(fast.keyword_hits(a), slow.keyword_hits(b)))
        assert np.array_equal(fast.keyword_counts(a), slow.keyword_counts(b))
        assert same_arrays(fast.sentences(a), slow.sentences(b))
    # and the counts are scikit-learn's
    rows, cols, counts = slow.counts(slow.tokenize(texts))
    expected = CountVectorizer(vocabulary=vocabulary, token_pattern=TOKEN_PATTERN,
                               ngram_range=ngram_range).transform(texts).tocoo()
    order = np.lexsort((expected.col, expected.row))
    assert same_arrays((rows, cols, counts),
                       (expected.row[order], expected.col[order], expected.data[order]))


def test_the_fast_path_runs_unless_it_cannot_key_the_vocabulary():
    params = {"token_pattern": TOKEN_PATTERN, "ngram_range": (1, 2)}
    assert isinstance(make_featurizer({"air": 0, "air defence": 1}, params), FastFeaturizer)
    # a term that is not word tokens joined by spaces: only scikit-learn's path takes it
    odd_vocabulary = {"air": 0, "air-defence": 1}
    odd = make_featurizer(odd_vocabulary, params)
    assert isinstance(odd, SklearnFeaturizer)
    texts = ["Air air-defence AIR", "air - defence"]
    expected = CountVectorizer(vocabulary=odd_vocabulary, token_pattern=TOKEN_PATTERN,
                               ngram_range=(1, 2)).transform(texts).tocoo()
    assert same_arrays(odd.counts(odd.tokenize(texts)), (expected.row, expected.col, expected.data))
    longer = {**params, "ngram_range": (1, 4)}
    assert isinstance(make_featurizer({"a b c d": 0, "bb": 1}, longer), SklearnFeaturizer)


@pytest.mark.parametrize("which", ["shipped", "fixture_model", "sentence_model"])
def test_a_model_tags_the_same_through_either_path(which, request, fixture_docs):
    from tagger import load_model

    model = load_model(SHIPPED_MODEL if which == "shipped" else request.getfixturevalue(which))
    assert model.featurizer().name == "fast"
    fast = [p.to_dict() for p in model.predict(fixture_docs)]
    best = model.best_sentences(fixture_docs)
    proba = model.predict_proba([d.content for d in fixture_docs])
    features = model.transform([d.content for d in fixture_docs])
    model = replace(model, featurizer_path="sklearn")
    assert model.featurizer().name == "sklearn"
    assert json.dumps([p.to_dict() for p in model.predict(fixture_docs)]) == json.dumps(fast)
    assert json.dumps(model.best_sentences(fixture_docs)) == json.dumps(best)
    assert np.array_equal(model.predict_proba([d.content for d in fixture_docs]), proba)
    assert (model.transform([d.content for d in fixture_docs]) != features).nnz == 0
