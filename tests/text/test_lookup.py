"""The vectorised key index: the position of every key, -1 for the others, whatever the keys."""

import numpy as np
import pytest

from tagger.text.lookup import KeyIndex


def positions(keys, query):
    where = {int(k): i for i, k in enumerate(keys)}
    return np.array([where.get(int(q), -1) for q in query], dtype=np.int64)


@pytest.mark.parametrize("n", [0, 1, 7, 1000, 30000])
def test_every_key_is_found_and_no_other(n):
    rng = np.random.default_rng(n)
    keys = rng.permutation(np.unique(rng.integers(0, 2**64, n, dtype=np.uint64)))
    query = rng.permutation(np.concatenate([keys, keys[:10], rng.integers(0, 2**64, 500,
                                                                         dtype=np.uint64)]))
    index = KeyIndex(keys)
    assert len(index) == len(keys)
    assert np.array_equal(index.get_indexer(query), positions(keys, query))


def test_zero_is_a_key_like_any_other():
    index = KeyIndex(np.array([0, 5], dtype=np.uint64))
    assert index.get_indexer(np.array([0, 5, 6], dtype=np.uint64)).tolist() == [0, 1, -1]


def test_keys_crafted_to_collide_fall_back_to_binary_search():
    # keys whose multiplicative hash is 0..n-1: all want the first slots of the table
    inverse = pow(0x9E3779B97F4A7C15, -1, 2**64)
    keys = np.array([(i * inverse) % 2**64 for i in range(0, 5000 * 2**40, 2**40)],
                    dtype=np.uint64)
    index = KeyIndex(keys)
    query = np.concatenate([keys[::7], np.arange(20, dtype=np.uint64)])
    assert np.array_equal(index.get_indexer(query), positions(keys, query))


def test_repeated_keys_are_refused():
    with pytest.raises(ValueError):
        KeyIndex(np.array([3, 3], dtype=np.uint64))


def test_keys_past_their_probes_are_found_beside_those_in_the_table():
    # a few hundred keys crafted to want one slot, among thousands of ordinary ones: the
    # crafted ones past the probe limit go to the stash, the others stay in the table
    inverse = pow(0x9E3779B97F4A7C15, -1, 2**64)
    crafted = [(i * inverse) % 2**64 for i in range(0, 300 * 2**40, 2**40)]
    rng = np.random.default_rng(7)
    keys = rng.permutation(np.unique(np.concatenate([
        np.array(crafted, dtype=np.uint64), rng.integers(0, 2**64, 5000, dtype=np.uint64)])))
    index = KeyIndex(keys)
    query = np.concatenate([keys, rng.integers(0, 2**64, 2000, dtype=np.uint64),
                            np.arange(50, dtype=np.uint64)])
    assert np.array_equal(index.get_indexer(query), positions(keys, query))


@pytest.mark.parametrize("kernel", [True, False])
def test_a_key_given_twice_is_refused_and_sorted_unique_is_np_unique(monkeypatch, kernel):
    from tagger.text import compiled
    from tagger.text.lookup import sorted_unique

    if not kernel:
        monkeypatch.setattr(compiled, "kernel", None)
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 2**64, 5000, dtype=np.uint64)
    for twice in (keys[[0, 4999]], np.array([0, 0], dtype=np.uint64), keys[[17, 17]]):
        with pytest.raises(ValueError, match="unique"):
            KeyIndex(np.concatenate([keys, twice]))
    assert KeyIndex(np.unique(keys)).n == len(np.unique(keys)) and KeyIndex(keys[:0]).n == 0
    for values in (keys, keys % 7, keys[:0], np.array([5, 5, 5], dtype=np.uint64)):
        assert np.array_equal(sorted_unique(values), np.unique(values))
