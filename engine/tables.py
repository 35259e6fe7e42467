"""Base tables: committed rows, the changes queued for the next step, and key constraints.

A PRIMARY KEY makes an insert of an existing key replace that row (an upsert); a UNIQUE constraint
refuses a second row with the same non-NULL key (unless the insert says OR REPLACE).  Every queued
change goes through ``_add``, which keeps the key indexes equal to committed + queued rows; a batch
that fails part-way is undone, so a rejected insert queues nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..compiler.catalog import Relation
from ..runtime.operators import Input
from ..sqllib.errors import DataError


@dataclass
class Table:
    rel: Relation
    input: Input
    check: object  # fast validator for rows that already have the right types (types.row_checker)
    contents: dict = field(default_factory=dict)  # the committed rows (a Z-set)
    pending: dict = field(default_factory=dict)  # changes queued for the next step
    indexes: list = field(default_factory=list)  # per key constraint: {key: row} over contents + pending

    def __post_init__(self):
        self.constraints = ([self.rel.primary_key] if self.rel.primary_key else []) + list(self.rel.unique)
        self.indexes = [{} for _ in self.constraints]
        # a one-column primary key and nothing else: the common case gets a loop of its own
        self.pk_column = (self.rel.primary_key[0] if len(self.rel.primary_key) == 1 and not self.rel.unique
                          else None)

    @staticmethod
    def key_of(row, cols):
        """A constraint's key: the value itself for one column, else a tuple (None if any is NULL)."""
        if len(cols) == 1:
            return row[cols[0]]
        key = tuple(row[i] for i in cols)
        return None if None in key else key

    def weight(self, row) -> int:
        """How many copies of row the table holds, counting queued changes."""
        return self.contents.get(row, 0) + self.pending.get(row, 0)

    def current(self) -> dict:
        out = dict(self.contents)
        for row, w in self.pending.items():
            n = out.get(row, 0) + w
            if n:
                out[row] = n
            else:
                out.pop(row, None)
        return out

    # -- queuing ----------------------------------------------------------------------------------
    def queue_insert(self, rows, replace: bool = False) -> None:
        """Queue validated rows.  An existing primary key is replaced; an existing UNIQUE key is an
        error unless ``replace`` (INSERT OR REPLACE), which replaces it too."""
        pending = self.pending
        get = pending.get
        if not self.indexes:
            for r in rows:
                n = get(r, 0) + 1
                if n:
                    pending[r] = n
                else:
                    del pending[r]
            return
        if self.pk_column is not None:  # upserts on a one-column key: nothing can fail
            index, c = self.indexes[0], self.pk_column
            for r in rows:
                k = r[c]
                old = index.get(k)
                if old is not None:
                    n = get(old, 0) - 1
                    if n:
                        pending[old] = n
                    else:
                        del pending[old]
                n = get(r, 0) + 1
                if n:
                    pending[r] = n
                else:
                    del pending[r]
                index[k] = r
            return
        log = []
        try:
            for r in rows:
                self._insert_one(r, replace, log)
        except DataError:
            for row, w in reversed(log):
                self._add(row, -w)
            raise

    def _insert_one(self, row, replace: bool, log: list) -> None:
        has_pk = bool(self.rel.primary_key)
        for n, (cols, index) in enumerate(zip(self.constraints, self.indexes)):
            key = self.key_of(row, cols)
            if key is None:
                continue
            old = index.get(key)
            if old is None:
                continue
            if (n > 0 or not has_pk) and not replace:  # a UNIQUE constraint
                names = ", ".join(f"{self.rel.name}.{self.rel.fields[i].name}" for i in cols)
                raise DataError(f"UNIQUE constraint failed: {names} (value {key!r})")
            self._add(old, -1)
            log.append((old, -1))
        self._add(row, 1)
        log.append((row, 1))

    def queue_delete(self, rows) -> None:
        """Queue deletions; every row must be present (counting queued changes)."""
        need: dict = {}
        for r in rows:
            need[r] = need.get(r, 0) + 1
        for r, n in need.items():
            have = self.weight(r)
            if have < n:
                raise DataError(f"cannot delete {r!r} from {self.rel.name}: the row is not in the table"
                                + (f" ({n} copies asked, {have} present)" if have else ""))
        for r, n in need.items():
            self._add(r, -n)

    def _add(self, row, w: int) -> None:
        n = self.pending.get(row, 0) + w
        if n:
            self.pending[row] = n
        else:
            del self.pending[row]
        for cols, index in zip(self.constraints, self.indexes):
            key = self.key_of(row, cols)
            if key is None:
                continue
            if w > 0:
                index[key] = row
            elif index.get(key) == row and self.weight(row) <= 0:
                del index[key]

    def discard(self) -> None:
        """Drop every queued change."""
        self.pending = {}
        self.indexes = [{} for _ in self.constraints]
        for row in self.contents:
            for cols, index in zip(self.constraints, self.indexes):
                key = self.key_of(row, cols)
                if key is not None:
                    index[key] = row

    def commit(self) -> None:
        """The queued changes have been applied by a step: they are now contents."""
        contents, pending = self.contents, self.pending
        if pending and min(pending.values()) > 0 and contents.keys().isdisjoint(pending):
            contents.update(pending)  # only new rows (a bulk insert): nothing to add up or remove
            self.pending = {}
            return
        for r, w in pending.items():
            n = contents.get(r, 0) + w
            if n:
                contents[r] = n
            else:
                del contents[r]
        self.pending = {}
