"""The compiled kernel against the NumPy passes on generated input (Hypothesis, seeded,
bounded): texts of any code points, sentence marks, the characters a table cannot lower,
key sets and queries of any 64-bit values."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SHIPPED_MODEL
from test_kernel import comparable, needs_kernel, same
from tagger.text import compiled
from tagger.text.lookup import KeyIndex
from tagger.text.sentences import compiled_bounds, numpy_bounds
from tagger.text.tokens import Powers, compiled_scan, numpy_scan, tokenize

FUZZ = settings(derandomize=True, max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
pytestmark = [pytest.mark.slow, needs_kernel]  # about 10 s of examples

# any code point (lone surrogates too), and more often the ones the rules turn on
awkward = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()) | \
    st.sampled_from(list("İΣσςıaZ9_ .!?\n\t-•«»“”\"'()Mr.U.S.")) | st.just("\u0301")
texts = st.lists(st.text(awkward, max_size=120) | st.sampled_from(["air defence", "missile strikes",
                                                                  "Mr. Smith said. The U.S. fired."]),
                 min_size=1, max_size=8)


@given(texts=texts, lower=st.booleans())
@FUZZ
def test_the_scan_and_the_tokens_are_the_numpy_passes(texts, lower, monkeypatch):
    assert same(compiled_scan(texts, None, lower), numpy_scan(texts, Powers(), lower))
    kernel = tokenize(texts, lower=lower)
    with monkeypatch.context() as m:
        m.setattr(compiled, "kernel", None)
        assert same(comparable(kernel), comparable(tokenize(texts, lower=lower)))


@given(texts=texts)
@FUZZ
def test_sentence_bounds_are_the_numpy_passes(texts):
    tokens = tokenize(texts)
    assert same(compiled_bounds(tokens), numpy_bounds(tokens))


@given(keys=st.sets(st.integers(0, 2**64 - 1), max_size=300), other=st.lists(st.integers(0, 2**64 - 1), max_size=100),
       crafted=st.integers(0, 200))
@FUZZ
def test_lookups_are_the_numpy_rounds(keys, other, crafted):
    inverse = pow(0x9E3779B97F4A7C15, -1, 2**64)
    keys = sorted(keys | {(i * inverse) % 2**64 for i in range(0, crafted * 2**40, 2**40)})
    index = KeyIndex(np.array(keys, dtype=np.uint64))
    query = np.array(keys[::3] + other + list(range(5)), dtype=np.uint64)
    assert same(index.get_indexer(query), index.numpy_indexer(query))


@given(grams=st.sets(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=60),
       ids=st.lists(st.integers(-1, 9), max_size=300), n=st.sampled_from([1, 2]), breaks=st.integers(1, 30))
@FUZZ
def test_runs_are_the_numpy_runs(grams, ids, n, breaks):
    keys = np.array(sorted({g[0] if n == 1 else g[0] * 10 + g[1] for g in grams}), dtype=np.int64)
    index = KeyIndex(keys)
    ids = np.array(ids, dtype=np.int64)
    doc = np.arange(len(ids)) // breaks
    assert same(index.find_runs(ids, doc, n, 10), index.numpy_runs(ids, doc, n, 10))


@lru_cache(maxsize=1)
def shipped():
    from tagger import load_model

    return load_model(SHIPPED_MODEL)


@given(texts=texts)
@settings(FUZZ, max_examples=60)
def test_a_model_computes_the_same_without_the_kernel(texts, monkeypatch):
    from dataclasses import replace

    kernel = shipped().analyse(texts)
    with monkeypatch.context() as m:
        m.setattr(compiled, "kernel", None)
        numpy = replace(shipped()).analyse(texts)
    assert same(kernel.logits, numpy.logits) and (kernel.features != numpy.features).nnz == 0
    rows, rows2 = kernel.sentence_rows, numpy.sentence_rows
    assert same(tuple(rows.sentences), tuple(rows2.sentences)) and same(tuple(rows[1:]), tuple(rows2[1:]))
    assert same(tuple(kernel.evidence[1:]), tuple(numpy.evidence[1:]))
