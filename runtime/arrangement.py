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

    ``unique``: the compiler knows the integral holds at most one row per key, with weight 1 (a
    table's rows keyed by a superset of its primary key), so ``index[key]`` is that row itself.  A
    delta may still hold, for one key, the old row with weight -1 and the new one with +1 (an
    update), in either order: +1 files its row, -1 removes its row only if it is the one filed.
    """

    __slots__ = ("index", "journal", "unique")

    def __init__(self, journal=None, unique: bool = False):
        self.index: dict = {}
        self.journal = journal
        self.unique = unique

    def apply(self, keyed: dict) -> None:
        """index += keyed delta."""
        self._add(keyed, 1)
        if self.journal is not None:
            self.journal.record(self._undo, keyed)

    def _undo(self, keyed: dict) -> None:
        self._add(keyed, -1)

    def _add(self, keyed: dict, sign: int) -> None:
        index = self.index
        if self.unique:
            for k, rows in keyed.items():
                for row, w in rows.items():
                    if w * sign > 0:
                        index[k] = row
                    elif index.get(k) == row:
                        del index[k]
            return
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
        """The bucket of ``key`` (its row when ``unique``), or None."""
        return self.index.get(key)

    def keyed(self) -> dict:
        """The index as {key: {row: weight}} (a copy when ``unique``)."""
        if self.unique:
            return {k: {row: 1} for k, row in self.index.items()}
        return self.index

    def rows(self):
        """Every row held (once, whatever its weight)."""
        if self.unique:
            return iter(self.index.values())
        return (row for bucket in self.index.values() for row in bucket)

    def __len__(self) -> int:
        if self.unique:
            return len(self.index)
        return sum(len(b) for b in self.index.values())

    def zset(self) -> dict:
        """The flat (unindexed) Z-set."""
        if self.unique:
            return dict.fromkeys(self.index.values(), 1)
        out = {}
        for bucket in self.index.values():
            out.update(bucket)
        return out
