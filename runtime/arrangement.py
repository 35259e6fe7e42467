"""Arrangements: Z-sets indexed by a key, ``key -> {row: weight}``, maintained in place from deltas.

Three forms of bucket, chosen by the compiler from what it knows of the rows (``Arrangement.form``):

- ``bag`` (any Z-set): ``index[key]`` is ``{row: weight}``;
- ``unique`` (at most one row per key, weight 1: a table's rows keyed by its whole primary key):
  ``index[key]`` is that row;
- ``rows`` (every row at most once, weight 1, many per key: a table's rows with a PRIMARY KEY keyed
  by other columns, e.g. orders by customer): ``index[key]`` is a list of its rows while it holds at
  most ``LIST_MAX`` of them, else ``{row: 1}`` (a delete from a large bucket stays a hash lookup,
  never a scan of more than LIST_MAX rows).  A list of n rows takes 56 + 8·capacity bytes against a
  dict's ~(64 + 42·2^⌈log2(1.5·n)⌉); iterating either form yields the rows, each of weight 1.

Laws of the ``rows`` form: a delta's weight for a row is +1 (not held) or -1 (held), since the
integral holds each row at most once; so +1 appends or sets the row, -1 removes it, and the bucket
goes when it is empty.  Readers iterate a bucket (``for row in bucket``) and take weight 1.
"""

from __future__ import annotations

LIST_MAX = 32  # rows a ``rows`` bucket holds as a list; beyond, a dict {row: 1}


def file_row(index: dict, key, row, w: int) -> None:
    """Apply weight ``w`` (+1 or -1) of ``row`` to a ``rows``-form index (the laws above)."""
    bucket = index.get(key)
    if w > 0:
        if bucket is None:
            index[key] = [row]
        elif type(bucket) is list:
            bucket.append(row)
            if len(bucket) > LIST_MAX:
                index[key] = dict.fromkeys(bucket, 1)
        else:
            bucket[row] = 1
        return
    if type(bucket) is list:
        bucket.remove(row)
    else:
        del bucket[row]
    if not bucket:
        del index[key]


def bucket_zset(bucket) -> dict:
    """A ``rows``-form bucket as the Z-set it stands for."""
    return dict.fromkeys(bucket, 1) if type(bucket) is list else bucket


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
    ``rows``: the integral holds every row at most once (the ``rows`` form of the module's
    docstring).
    """

    __slots__ = ("index", "journal", "unique", "rows_once")

    def __init__(self, journal=None, unique: bool = False, rows: bool = False):
        self.index: dict = {}
        self.journal = journal
        self.unique = unique
        self.rows_once = rows and not unique

    @property
    def form(self) -> str:
        return "unique" if self.unique else "rows" if self.rows_once else "bag"

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
        if self.rows_once:
            for k, rows in keyed.items():
                for row, w in rows.items():
                    file_row(index, k, row, w * sign)
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
        """The bucket of ``key`` (its row when ``unique``, a list or {row: 1} in the ``rows`` form), or None."""
        return self.index.get(key)

    def keyed(self) -> dict:
        """The index as {key: {row: weight}} (a copy unless the form is ``bag``)."""
        if self.unique:
            return {k: {row: 1} for k, row in self.index.items()}
        if self.rows_once:
            return {k: bucket_zset(b) for k, b in self.index.items()}
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
        if self.rows_once:
            return dict.fromkeys(self.rows(), 1)
        out = {}
        for bucket in self.index.values():
            out.update(bucket)
        return out
