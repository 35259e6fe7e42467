"""Base tables: committed rows, the changes queued for the next step, and key constraints.

Keys follow SQL: a plain insert of a PRIMARY KEY or non-NULL UNIQUE value the table already holds
(counting queued changes) is a constraint error; an upsert (INSERT OR REPLACE, ON CONFLICT DO UPDATE,
``Pipeline.upsert``) replaces the rows holding it.  A batch is checked as a whole: a delete before an
insert frees its key, two inserts of one key collide, and a batch that fails part-way is undone, so a
rejected batch queues nothing.

Every queued change is also appended to the pipeline's ``ChangeLog`` (engine/transactions.py), so a
statement or a transaction that fails is undone back to where it began.  The key indexes always
equal committed + queued rows: {key: row} per constraint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..compiler.catalog import Relation
from ..compiler.types import show_value
from ..runtime.operators import Input
from ..sqllib.errors import DataError


@dataclass
class Table:
    rel: Relation
    input: Input
    check: object  # fast validator for rows that already have the right types (types.row_checker)
    log: object = None  # the pipeline's ChangeLog (None: changes are not logged)
    contents: dict = field(default_factory=dict)  # the committed rows (a Z-set)
    pending: dict = field(default_factory=dict)  # changes queued for the next step
    indexes: list = field(default_factory=list)  # per key constraint: {key: row} over contents + pending
    secondary: dict = field(default_factory=dict)  # CREATE INDEX columns -> lookups.SecondaryIndex (on use)

    def __post_init__(self):
        self.constraints = ([self.rel.primary_key] if self.rel.primary_key else []) + list(self.rel.unique)
        self.indexes = [{} for _ in self.constraints]
        # a one-column primary key and nothing else: plain inserts get a loop of their own
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

    def by_key(self, key) -> tuple | None:
        """The row holding a PRIMARY KEY value (a tuple for a key of several columns), or None."""
        if not self.rel.primary_key:
            return None
        return self.indexes[0].get(key)

    # -- queuing ----------------------------------------------------------------------------------
    def queue_insert(self, rows, replace: bool = False) -> None:
        """Queue validated rows.  A key the table already holds is a constraint error, or with
        ``replace`` (an upsert) the rows holding it are deleted first."""
        if not self.constraints:
            pending = self.pending
            get = pending.get
            for r in rows:
                n = get(r, 0) + 1
                if n:
                    pending[r] = n
                else:
                    del pending[r]
            if self.log is not None:
                self.log.record(self, rows, 1)
            return
        if self.pk_column is not None and not replace:
            self._insert_new_keys(rows)
            return
        done = []  # (row, weight) applied so far, to undo the whole batch on an error
        try:
            for r in rows:
                self._insert_one(r, replace, done)
        except DataError:
            for row, w in reversed(done):
                self._add(row, -w)
            raise
        if self.log is not None:
            self.log.record_pairs(self, done)

    def _insert_new_keys(self, rows) -> None:
        """queue_insert's common case inline: one key column, and no key may be taken."""
        index, c, pending = self.indexes[0], self.pk_column, self.pending
        get = pending.get
        for n, r in enumerate(rows):
            k = r[c]
            if k in index:
                self.undo(rows[:n], 1)
                raise DataError(self._violation(self.constraints[0], k))
            index[k] = r
            w = get(r, 0) + 1
            if w:
                pending[r] = w
            else:
                del pending[r]
        if self.log is not None:
            self.log.record(self, rows, 1)

    def _insert_one(self, row, replace: bool, done: list) -> None:
        for cols, index in zip(self.constraints, self.indexes):
            key = self.key_of(row, cols)
            if key is None:
                continue
            old = index.get(key)
            if old is None:
                continue
            if not replace:
                raise DataError(self._violation(cols, key))
            self._add(old, -1)
            done.append((old, -1))
        self._add(row, 1)
        done.append((row, 1))

    def _violation(self, cols, key) -> str:
        kind = "PRIMARY KEY" if self.rel.primary_key and cols == self.constraints[0] else "UNIQUE"
        names = ", ".join(self.rel.fields[i].name for i in cols)
        value = ", ".join(show_value(v) for v in (key if len(cols) > 1 else (key,)))
        return (f"{kind} constraint violated: {self.rel.name}({names}) already holds ({value}); "
                f"nothing was changed (an upsert or INSERT OR REPLACE replaces the row)")

    def queue_delete(self, rows) -> None:
        """Queue deletions; every row must be present (counting queued changes)."""
        need: dict = {}
        for r in rows:
            need[r] = need.get(r, 0) + 1
        for r, n in need.items():
            have = self.weight(r)
            if have < n:
                shown = "(" + ", ".join(show_value(v) for v in r) + ")"
                raise DataError(f"cannot delete {shown} from {self.rel.name}: the row is not in the table"
                                + (f" ({n} copies asked, {have} present)" if have else ""))
        pairs = []
        for r, n in need.items():
            self._add(r, -n)
            pairs.append((r, -n))
        if self.log is not None:
            self.log.record_pairs(self, pairs)

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

    def undo(self, rows, w: int) -> None:
        """Take back queued changes (each row with weight w), newest first: a ChangeLog rollback."""
        for r in reversed(rows):
            self._add(r, -w)

    def discard(self) -> None:
        """Drop every queued change (the key indexes are rebuilt over the committed rows)."""
        self.pending = {}
        self.indexes = []
        for cols in self.constraints:
            if len(cols) == 1:
                c = cols[0]
                self.indexes.append({r[c]: r for r in self.contents if r[c] is not None})
            else:
                key_of = self.key_of
                keyed = ((key_of(r, cols), r) for r in self.contents)
                self.indexes.append({k: r for k, r in keyed if k is not None})

    def commit(self) -> None:
        """The queued changes have been applied by a step: they are now contents."""
        contents, pending = self.contents, self.pending
        if pending and min(pending.values()) > 0 and contents.keys().isdisjoint(pending):
            contents.update(pending)  # only new rows (a bulk insert): nothing to add up or remove
        else:
            for r, w in pending.items():
                n = contents.get(r, 0) + w
                if n:
                    contents[r] = n
                else:
                    del contents[r]
        for ix in self.secondary.values():
            ix.apply(pending, contents)
        self.pending = {}
