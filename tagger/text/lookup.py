"""Where each of many 64-bit keys sits in a fixed set of keys: a vectorised hash table.

The tagging path looks up every token of every document (and every n-gram of known
tokens) in the vocabulary. pandas' hash index does this well, but importing pandas costs
more than half a second of every run of `tagger tag`, most of a small job. This table is
NumPy alone: open addressing with linear probing at a load of at most a quarter, keys
placed by a multiplicative hash of all 64 bits, and lookups done for all keys at once,
one probe per round. The longest probe sequence is known when the table is built; a key
set that would need long sequences (one crafted to collide) is looked up by binary search
instead, so no vocabulary can make a lookup slow.
"""

from __future__ import annotations

import numpy as np

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio, odd
MAX_PROBES = 8  # longer probe sequences than this: binary search instead


class KeyIndex:
    """The position of each key in ``keys`` (unique 64-bit integers), or -1."""

    def __init__(self, keys: np.ndarray):
        keys = np.ascontiguousarray(keys).view(np.uint64).ravel()
        self.n = len(keys)
        if len(np.unique(keys)) != self.n:
            raise ValueError("keys must be unique")
        self._keys = keys
        self._bits = max(4, int(np.ceil(np.log2(max(self.n, 1) * 4))))
        size = 1 << self._bits
        self._slot_keys = np.zeros(size, dtype=np.uint64)
        self._slot_pos = np.full(size, -1, dtype=np.int64)
        self._sorted = None
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
        if len(pending):  # too many collisions: binary search over the sorted keys
            order = np.argsort(keys)
            self._sorted = (keys[order], order)

    def __len__(self) -> int:
        return self.n

    def _home(self, keys: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return ((keys * _MULTIPLIER) >> np.uint64(64 - self._bits)).astype(np.intp)

    def get_indexer(self, query: np.ndarray) -> np.ndarray:
        """For each query key, its position in the keys, or -1 (pandas' ``get_indexer``)."""
        query = np.ascontiguousarray(query).view(np.uint64).ravel()
        if self._sorted is not None:
            keys, order = self._sorted
            at = np.minimum(np.searchsorted(keys, query), self.n - 1)
            return np.where(keys[at] == query, order[at], -1)
        slots = self._home(query)
        pos = self._slot_pos[slots]
        hit = self._slot_keys[slots] == query
        hit &= pos >= 0
        out = np.where(hit, pos, -1)
        # an occupied slot holding another key: probe on, for the few such keys
        todo = np.flatnonzero(~hit & (pos >= 0))
        slots, mask = slots[todo], (1 << self._bits) - 1
        for _ in range(MAX_PROBES - 1):
            if not len(todo):
                break
            slots = (slots + 1) & mask
            pos = self._slot_pos[slots]
            hit = (pos >= 0) & (self._slot_keys[slots] == query[todo])
            out[todo[hit]] = pos[hit]
            go_on = (pos >= 0) & ~hit
            todo, slots = todo[go_on], slots[go_on]
        return out
