"""The compiled kernel (tagger/text/csrc) against the NumPy passes it replaces: the same
arrays, bit for bit, on awkward Unicode, the fixture articles and keys crafted to collide;
and it must be built here, so that the tests run the path users run.
(tests/text/test_kernel_fuzz.py compares the two on generated input.)"""

import json
from dataclasses import replace

import numpy as np
import pytest

from conftest import SHIPPED_MODEL, fixture_texts
from test_features import TRICKY
from tagger.model import sentencescores
from tagger.text import compiled
from tagger.text.lookup import KeyIndex, sieve
from tagger.text.sentences import compiled_bounds, numpy_bounds
from tagger.text.tokens import (MAX_CODEPOINT, Powers, compiled_scan, numpy_scan, tokenize,
                                word_and_space_classes)


def same(a, b) -> bool:
    """Equal arrays (or values) of the same dtype, field by field of tuples."""
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    return a == b


@pytest.fixture
def numpy_only(monkeypatch):
    """Every caller's NumPy passes, as on a machine without a C compiler."""
    monkeypatch.setattr(compiled, "kernel", None)


# where it is not built, the first test below fails and says so; the others have nothing to compare
needs_kernel = pytest.mark.skipif(compiled.kernel is None, reason="the kernel is not built")


def test_the_kernel_is_built():
    # pip install builds it wherever a C compiler is (setup.py); without it everything runs,
    # more slowly: CI must test the path users run
    assert compiled.kernel is not None, "tagger/text/csrc was not built: is there a C compiler?"


@needs_kernel
def test_word_and_space_classes_are_str_methods_for_every_code_point(monkeypatch):
    codes = np.arange(MAX_CODEPOINT + 2, dtype=np.uint32)[:MAX_CODEPOINT]
    kernel = word_and_space_classes(codes)
    monkeypatch.setattr(compiled, "kernel", None)
    assert same(kernel, word_and_space_classes(codes)) and kernel[ord("_")] and kernel[ord(" ")]


TEXTS = [*TRICKY, "a" * 70 + " " + "ü" * 3, "ΣΑΣ\n\nİ", "\ud800 lone surrogate", "x\x00y zz"]


@needs_kernel
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("texts", [TEXTS, TEXTS[::-1], fixture_texts()[:40], ["", ""], ["ab"]],
                         ids=["tricky", "reversed", "fixtures", "empty", "one"])
def test_the_scan_finds_what_the_numpy_passes_find(texts, lower):
    assert same(compiled_scan(texts, None, lower), numpy_scan(texts, Powers(), lower))


def comparable(tokens) -> tuple:
    return (tokens.doc, tokens.hashes, tokens.n_docs, tokens.starts, tokens.ends, tuple(tokens.chars))


@needs_kernel
@pytest.mark.parametrize("lower", [True, False])
def test_tokens_are_the_same_either_way(lower, monkeypatch):
    # "İ" and "Σ" among them: the lower-case texts' tokens, mapped back to the texts as written
    texts = [*TEXTS, *fixture_texts()[:20]]
    kernel = tokenize(texts, lower=lower)
    monkeypatch.setattr(compiled, "kernel", None)
    assert same(comparable(kernel), comparable(tokenize(texts, lower=lower)))


SENTENCES = ["Mr. Smith left. The U.S. and the U.K. met. No. 5 won! J. K. Rowling wrote. E.g. this.",
             "- a bullet. Two.\n1. First. Second?\n12) x\n  • y. Z\n\n“Quoted.” (Aside.) «Next.»",
             "Jan. 5 came. No 1. Nos. 2 and 3. Ends with a stop.", "...", ".", "A.B.C. D", ""]


@needs_kernel
@pytest.mark.parametrize("texts", [SENTENCES, TEXTS, fixture_texts()[:40], []], ids=["rules", "tricky", "fixtures", "none"])
def test_sentence_bounds_are_the_numpy_passes(texts):
    tokens = tokenize(texts)
    assert same(compiled_bounds(tokens), numpy_bounds(tokens))


def colliding_keys(n: int) -> np.ndarray:
    """Keys whose multiplicative hash is 0..n-1: all want the table's first slots."""
    inverse = pow(0x9E3779B97F4A7C15, -1, 2**64)
    return np.array([(i * inverse) % 2**64 for i in range(0, n * 2**40, 2**40)], dtype=np.uint64)


@needs_kernel
def test_lookups_are_the_same_with_the_stash_in_use():
    rng = np.random.default_rng(3)
    keys = rng.permutation(np.unique(np.concatenate([
        colliding_keys(400), rng.integers(0, 2**64, 3000, dtype=np.uint64)])))
    index = KeyIndex(keys)
    query = rng.permutation(np.concatenate([keys, keys[:50], np.arange(40, dtype=np.uint64),
                                            rng.integers(0, 2**64, 3000, dtype=np.uint64)]))
    assert same(index.get_indexer(query), index.numpy_indexer(query))
    assert same(index.get_indexer(query[:0]), index.numpy_indexer(query[:0]))


@needs_kernel
@pytest.mark.parametrize("n", [1, 2, 3])
def test_runs_of_ids_are_found_as_by_numpy(n):
    rng = np.random.default_rng(n)
    T = 50
    grams = np.unique(rng.integers(0, T, (300, n)), axis=0)
    index = KeyIndex(np.array([int(np.polyval(g, T)) for g in grams], dtype=np.int64))
    ids = rng.integers(-1, T, 5000)
    doc = np.sort(rng.integers(0, 40, 5000))
    found = index.find_runs(ids, doc, n, T)
    assert same(found, index.numpy_runs(ids, doc, n, T))
    assert len(found[0]) > 0 and same(index.find_runs(ids[:n - 1], doc[:n - 1], n, T),
                                      index.numpy_runs(ids[:n - 1], doc[:n - 1], n, T))


@needs_kernel
@pytest.mark.parametrize("shift", [0, 48, 60])
def test_the_sieve_keeps_what_numpy_keeps(shift, monkeypatch):
    rng = np.random.default_rng(shift)
    hashes = rng.integers(0, 2**64, 20000, dtype=np.uint64)
    table = rng.random(1 << 4 if shift == 60 else 1 << 16) < 0.05
    table[3] = True
    kernel = sieve(hashes, table, shift)
    monkeypatch.setattr(compiled, "kernel", None)
    assert len(kernel) > 50 and same(kernel, sieve(hashes, table, shift))
    assert same(sieve(hashes[:0], table, shift), kernel[:0])


@needs_kernel
def test_hit_counts_are_counted_as_by_sorting(monkeypatch):
    from tagger import load_model
    from tagger.text.ngrams import hit_counts

    featurizer = load_model(SHIPPED_MODEL).featurizer()
    # a document without a hit, one of hits of one length only, repeats, awkward text
    texts = ["", "missile missile missile strikes", *TEXTS, "", *fixture_texts()[:30], "zz"]
    tokens = featurizer.tokenize(texts)
    hits = featurizer.ngram_hits(tokens)
    kernel, none = (hit_counts(tokens, h, featurizer.n_features) for h in (hits, []))
    monkeypatch.setattr(compiled, "kernel", None)
    assert len(kernel[0]) > 100 and same(kernel, hit_counts(tokens, hits, featurizer.n_features))
    assert same(none, hit_counts(tokens, [], featurizer.n_features))


@needs_kernel
@pytest.mark.parametrize("columns", [1, 4, 9])
def test_sparse_products_add_as_numpy_and_scipy_do(columns, monkeypatch):
    rng = np.random.default_rng(columns)
    rows = np.sort(rng.integers(0, 60, 4000))
    cols = rng.integers(0, 300, 4000)
    values = rng.normal(size=4000)
    weights_t = np.ascontiguousarray(rng.normal(size=(columns, 300)).T)
    kernel = sentencescores.sparse_products(rows, cols, values, 60, weights_t)
    monkeypatch.setattr(compiled, "kernel", None)
    monkeypatch.setattr(sentencescores, "summed_by_numpy", 0)  # by bincount
    assert same(kernel, sentencescores.sparse_products(rows, cols, values, 60, weights_t))
    monkeypatch.setattr(sentencescores, "summed_by_numpy", sentencescores.SPARSE_AFTER)  # by scipy
    assert same(kernel, sentencescores.sparse_products(rows, cols, values, 60, weights_t))


@needs_kernel
def test_a_misshapen_array_is_refused_not_read():
    index = KeyIndex(np.arange(10, dtype=np.uint64))
    query = np.arange(5, dtype=np.uint64)
    with pytest.raises(ValueError):
        compiled.kernel.lookup(*index.table(), query, np.empty(4, dtype=np.int64))  # no room
    with pytest.raises(ValueError):
        compiled.kernel.lookup(*index.table(), query, np.empty(5, dtype=np.int32))  # 4-byte items
    with pytest.raises(IndexError):
        compiled.kernel.products(np.array([0]), np.array([7]), np.ones(1), np.ones((3, 2)),
                                 np.zeros((1, 2)))


@needs_kernel
@pytest.mark.parametrize("which", ["shipped", "sentence_model"])
def test_a_model_tags_the_same_without_the_kernel(which, request, fixture_docs, monkeypatch):
    from tagger import load_model

    model = load_model(SHIPPED_MODEL if which == "shipped" else request.getfixturevalue(which))
    texts = [d.content for d in fixture_docs] + TEXTS
    kernel = model.analyse(texts)
    fast = json.dumps([p.to_dict() for p in model.predict(fixture_docs)])
    monkeypatch.setattr(compiled, "kernel", None)
    model = replace(model)  # built anew, the NumPy way
    numpy = model.analyse(texts)
    assert same(kernel.logits, numpy.logits) and (kernel.features != numpy.features).nnz == 0
    assert same(comparable(kernel.tokens), comparable(numpy.tokens))
    for (n, at, feat), (n2, at2, feat2) in zip(kernel.hits, numpy.hits, strict=True):
        assert n == n2 and same(at, at2) and same(feat, feat2)
    rows, rows2 = kernel.sentence_rows, numpy.sentence_rows
    assert same(tuple(rows.sentences), tuple(rows2.sentences)) and same(tuple(rows[1:]), tuple(rows2[1:]))
    assert same(tuple(kernel.evidence[0]), tuple(numpy.evidence[0]))
    assert same(tuple(kernel.evidence[1:]), tuple(numpy.evidence[1:]))
    assert json.dumps([p.to_dict() for p in model.predict(fixture_docs)]) == fast
