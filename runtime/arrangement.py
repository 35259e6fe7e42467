"""Arrangements: Z-sets indexed by a key, ``key -> {row: weight}``, maintained in place from deltas."""

from __future__ import annotations


def index_delta(delta: dict, key_fn) -> dict:
    """Group a Z-set delta by key: {key: {row: weight}}.  Rows whose key is None are dropped
    (the compiler returns None for SQL keys holding a NULL, which can never compare equal)."""
    out: dict = {}
    for row, w in delta.items():
        k = key_fn(row)
        if k is None:
            continue
        bucket = out.get(k)
        if bucket is None:
            out[k] = {row: w}
        else:
            bucket[row] = w
    return out


class Arrangement:
    """An indexed Z-set: the integral of every keyed delta applied to it.

    ``index[key]`` is the Z-set of rows with that key; empty buckets are removed so an inserted then
    deleted row leaves nothing behind.  Mutations are journaled for step atomicity.
    """

    __slots__ = ("index", "journal")

    def __init__(self, journal=None):
        self.index: dict = {}
        self.journal = journal

    def apply(self, keyed: dict) -> None:
        """index += keyed delta."""
        self._add(keyed, 1)
        if self.journal is not None:
            self.journal.record(self._undo, keyed)

    def _undo(self, keyed: dict) -> None:
        self._add(keyed, -1)

    def _add(self, keyed: dict, sign: int) -> None:
        index = self.index
        for k, rows in keyed.items():
            bucket = index.get(k)
            if bucket is None:
                index[k] = dict(rows) if sign == 1 else {r: -w for r, w in rows.items()}
                continue
            get = bucket.get
            for row, w in rows.items():
                n = get(row, 0) + sign * w
                if n:
                    bucket[row] = n
                else:
                    del bucket[row]
            if not bucket:
                del index[k]

    def get(self, key):
        return self.index.get(key)

    def __len__(self) -> int:
        return sum(len(b) for b in self.index.values())

    def zset(self) -> dict:
        """The flat (unindexed) Z-set."""
        out = {}
        for bucket in self.index.values():
            out.update(bucket)
        return out
