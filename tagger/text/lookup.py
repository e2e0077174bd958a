"""Where each of many 64-bit keys sits in a fixed set of keys: a vectorised hash table.

The tagging path looks up every token of every document (and every n-gram of known
tokens) in the vocabulary. pandas' hash index does this well, but importing pandas costs
more than half a second of every run of `tagger tag`, most of a small job. This table is
NumPy alone: open addressing with linear probing at a load of at most an eighth (at a
quarter, tagging spent a tenth longer on lookups), keys placed by a multiplicative hash of
all 64 bits, and lookups done for all keys at once, one probe per round, by ``take()``. Probe sequences are cut at :data:`MAX_PROBES`: the few keys that find
no free slot within them (a handful in a vocabulary of tens of thousands; all of a key set
crafted to collide) go to a sorted stash, searched by bisection for the queries that reach
the end of their probes. So no vocabulary can make a lookup slow, and an ordinary one
costs one or two probes a key.
"""

from __future__ import annotations

import numpy as np

from . import compiled
from .tokens import ngram_keys

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio, odd
MAX_PROBES = 8  # keys not placed within this many probes go to the stash


class KeyIndex:
    """The position of each key in ``keys`` (unique 64-bit integers), or -1."""

    def __init__(self, keys: np.ndarray):
        keys = np.ascontiguousarray(keys).view(np.uint64).ravel()
        self.n = len(keys)
        self._keys = keys
        self._bits = max(4, int(np.ceil(np.log2(max(self.n, 1) * 8))))
        size = 1 << self._bits
        self._slot_keys = np.zeros(size, dtype=np.uint64)
        self._slot_pos = np.full(size, -1, dtype=np.intp)  # intp: 32-bit indices index slowly
        pending = np.arange(self.n)
        slots = self._home(keys)
        for _ in range(MAX_PROBES):
            if not len(pending):
                break
            # of the pending keys wanting each free slot, the first takes it
            free = self._slot_pos[slots] < 0
            want, first = np.unique(slots[free], return_index=True)
            placed = pending[free][first]
            self._slot_pos[want], self._slot_keys[want] = placed, keys[placed]
            left = np.ones(len(pending), dtype=bool)
            left[np.flatnonzero(free)[first]] = False
            pending, slots = pending[left], (slots[left] + 1) & (size - 1)
        # the stash: keys every slot of whose probe sequence was taken when they came
        # (those slots stay taken, so their queries never meet a free slot either)
        order = pending[np.argsort(keys[pending])]
        self._stash = (keys[order], order)
        # the kernel reads each slot's key and position side by side (one cache line a probe,
        # not two: a large vocabulary's table is larger than the caches); the NumPy passes
        # read the same table through views of it: one copy, not two
        self._slots = np.stack([self._slot_keys, self._slot_pos.view(np.uint64)], axis=1)
        self._slot_keys, self._slot_pos = self._slots[:, 0], self._slots[:, 1].view(np.intp)
        # a key given twice is found at one of its places only: the check is a lookup
        if not np.array_equal(self.get_indexer(keys), np.arange(self.n)):
            raise ValueError("keys must be unique")

    def __len__(self) -> int:
        return self.n

    def _home(self, keys: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return ((keys * _MULTIPLIER) >> np.uint64(64 - self._bits)).astype(np.intp)

    def get_indexer(self, query: np.ndarray) -> np.ndarray:
        """For each query key, its position in the keys, or -1 (pandas' ``get_indexer``)."""
        query = np.ascontiguousarray(query).view(np.uint64).ravel()
        if compiled.kernel is None:
            return self.numpy_indexer(query)
        out = np.empty(len(query), dtype=np.intp)
        compiled.kernel.lookup(*self.table(), query, out)
        return out

    def table(self) -> tuple:
        """The table as the compiled kernel reads it: the slots (key and position side by
        side), bits, probes, stash keys and positions."""
        return (self._slots, self._bits, MAX_PROBES, *self._stash)

    def find_runs(self, ids: np.ndarray, doc: np.ndarray, n: int, base: int):
        """The runs of ``n`` ids of one document whose key is in the index: (first index of
        each, its key's position), in order. A run's key is :func:`~.tokens.ngram_keys`'s,
        ``(ids[i] * base + ids[i + 1]) * base ...``; runs with a negative id have none."""
        ids, doc = np.ascontiguousarray(ids, dtype=np.int64), np.ascontiguousarray(doc, dtype=np.int64)
        if compiled.kernel is None:
            return self.numpy_runs(ids, doc, n, base)
        at, pos = np.empty(len(ids), dtype=np.int64), np.empty(len(ids), dtype=np.intp)
        found = compiled.kernel.runs(ids, doc, n, base, *self.table(), at, pos)
        return at[:found], pos[:found]

    def numpy_runs(self, ids: np.ndarray, doc: np.ndarray, n: int, base: int):
        """:meth:`find_runs` by NumPy passes (without the compiled kernel, and its oracle)."""
        m = len(ids) - n + 1
        if m <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.intp)
        parts = [ids[i:i + m] for i in range(n)]
        valid = doc[:m] == doc[n - 1:]
        for part in parts:
            valid &= part >= 0
        # nearly every run of n ids is valid: look them all up, the others under a key no
        # run has (-1; keys are under 2**63), rather than pick them out
        keys = ngram_keys(parts, base)
        np.copyto(keys, -1, where=~valid)
        pos = self.numpy_indexer(keys)  # NumPy throughout: the kernel's oracle
        at = np.flatnonzero(pos >= 0)
        return at, pos.take(at)

    def numpy_indexer(self, query: np.ndarray) -> np.ndarray:
        """:meth:`get_indexer` by NumPy rounds, one probe of every key a round (where the
        compiled kernel is not built, and the kernel's test oracle)."""
        # take() rather than [] throughout: NumPy's fancy indexing costs twice as much here
        query = np.ascontiguousarray(query).view(np.uint64).ravel()
        slots = self._home(query)
        pos = self._slot_pos.take(slots)
        hit = self._slot_keys.take(slots) == query
        hit &= pos >= 0
        out = np.where(hit, pos, -1)
        # an occupied slot holding another key: probe on, for the few such keys
        todo = np.flatnonzero(~hit & (pos >= 0))
        slots, mask = slots.take(todo), (1 << self._bits) - 1
        for _ in range(MAX_PROBES - 1):
            if not len(todo):
                return out
            slots = (slots + 1) & mask
            pos = self._slot_pos.take(slots)
            hit = (pos >= 0) & (self._slot_keys.take(slots) == query.take(todo))
            out[todo[hit]] = pos[hit]
            go_on = (pos >= 0) & ~hit
            todo, slots = todo[go_on], slots[go_on]
        stash, order = self._stash
        if len(todo) and len(stash):  # every probe taken by another key: the stash's, maybe
            at = np.minimum(np.searchsorted(stash, query[todo]), len(stash) - 1)
            found = stash[at] == query[todo]
            out[todo[found]] = order[at[found]]
        return out


def sieve(hashes: np.ndarray, table: np.ndarray, shift: int) -> np.ndarray:
    """The indices of the hashes whose bits ``(hash >> shift) & (len(table) - 1)`` are set
    in ``table`` (bools, a power of two of them): a pre-filter that rules out nearly every
    token before an exact lookup of a small set."""
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    if compiled.kernel is None:
        bits = (hashes >> np.uint64(shift)) & np.uint64(len(table) - 1)
        return np.flatnonzero(table.take(bits.astype(np.intp)))
    out = np.empty(len(hashes), dtype=np.int64)
    return out[:compiled.kernel.sieve(hashes, np.ascontiguousarray(table, dtype=bool), shift, out)]


def sorted_unique(values) -> np.ndarray:
    """``np.unique(values)`` of a few values, by a sort: NumPy 2's own imports numpy.ma
    (8 ms of every start of a process that loads a model) to ask if they are masked."""
    values = np.sort(np.asarray(values).ravel())
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values
