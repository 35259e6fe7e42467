"""Base tables: committed rows, the changes queued for the next step, and key constraints.

Keys follow SQL: a plain insert of a PRIMARY KEY or non-NULL UNIQUE value the table already holds
(counting queued changes) is a constraint error; an upsert (INSERT OR REPLACE, ON CONFLICT DO UPDATE,
``Pipeline.upsert``) replaces the rows holding it.  A batch is checked as a whole: a delete before an
insert frees its key, two inserts of one key collide, and a batch that fails part-way is undone, so a
rejected batch queues nothing.

Every queued change is also appended to the pipeline's ``ChangeLog`` (engine/transactions.py), so a
statement or a transaction that fails is undone back to where it began.  The key indexes always
equal committed + queued rows: {key: row} per constraint.

A table with a PRIMARY KEY stores each row once, in its primary-key index: a primary key admits a
row at most once, so the committed rows are a set (every weight 1) and equal the index minus what is
queued (``KeyedRows``); ``contents`` reads them from there, and a commit has nothing to copy.  A table
without one keeps its committed Z-set in a dict of its own.

A sharded COPY may commit its rows unread (``take_unread``: engine/shards/staging.py): the table keeps
the batch as the bytes the workers pickled, and only a one-column primary key's index holds its keys
(under a placeholder), which is all a check of new keys reads.  Every reader of the rows goes through
``indexes`` or ``plain_rows`` (and ``contents``, ``current``, ``KeyedRows`` through them), which read
the unread batches first; so the table anyone sees is the same whether a batch was read at once or
later (law: reading a batch files exactly what ``queue_insert`` then ``commit`` of its rows would have,
since its keys were new and distinct and nothing else was queued).

A table with watermarks (columns declared with a LATENESS) drops late changes as they are queued: a
row whose watermarked column is below that column's watermark, inserted or deleted (the watermarks
only move at a step, so the ones of the last step judge everything queued for the next one).  An
upsert that would replace a late row is late as a whole (as in Feldera: its deletion half is late).
Dropped changes are counted (in the ChangeLog too, so a rollback takes the count back) and handed to
the table's Watermark operator at the step.  Unless the table is materialized, it then keeps only
rows at or above every watermark: a change to an older row would be late, so no step can need it;
it stays part of the table for the views, which have already seen it, but ad-hoc queries and views
created later cannot read it (see ``discarded``).
"""

from __future__ import annotations

import heapq
from operator import itemgetter

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Any

from ..compiler.catalog import Relation
from ..compiler.types import show_value
from ..runtime.operators import Input
from ..runtime.zset import add_into
from ..sqllib.errors import DataError
from .one_row import one_row_functions
from .table_values import SharedValues, candidates


@dataclass
class Table:
    rel: Relation
    input: Input
    check: Callable[[Any], tuple | None]  # fast validator for rows that already have the right types (types.row_checker)
    log: object = None  # the pipeline's ChangeLog (None: changes are not logged)
    _plain_rows: dict = field(default_factory=dict)  # the committed rows (a Z-set) of a table without a PRIMARY KEY
    pending: dict = field(default_factory=dict)  # changes queued for the next step
    _indexes: list = field(default_factory=list)  # per key constraint: {key: row} over contents + pending
    secondary: dict = field(default_factory=dict)  # CREATE INDEX columns -> lookups.SecondaryIndex (on use)
    watermark: Any = None  # the Watermark operator of the columns declared with a lateness, or None
    output: object = None  # the operator readers read: the watermark if any, else the input
    pending_late: int = 0  # late changes dropped from what is queued
    set_plans: dict = field(default_factory=dict)  # UPDATE's bound SET lists (engine/dml._set_plan)
    clock: object = None  # () -> the pipeline's clock, for the columns DEFAULT NOW() (rel.clock_columns)
    # committed batches not read yet (a sharded COPY's, kept as the workers pickled them: ``take_unread``);
    # ``indexes`` and ``plain_rows`` read them first, so nothing else ever sees them
    unread: list = field(default_factory=list)

    def __post_init__(self):
        self.constraints = ([self.rel.primary_key] if self.rel.primary_key else []) + list(self.rel.unique)
        self.indexes = [{} for _ in self.constraints]
        # the int and text objects of repeated values, shared by the rows of a batch (table_values)
        self.shared = SharedValues(len(self.rel.fields), candidates(self.rel.fields, self.constraints))
        # a PRIMARY KEY: the committed rows are read from its index (KeyedRows), not stored again
        self.keyed = KeyedRows(self) if self.rel.primary_key else None
        # a one-column primary key and nothing else: plain inserts get a loop of their own
        self.pk_column = (self.rel.primary_key[0] if len(self.rel.primary_key) == 1 and not self.rel.unique
                          else None)
        if self.output is None:
            self.output = self.watermark if self.watermark is not None else self.input
        # rows behind the watermark are discarded unless the table is materialized, or a key
        # constraint without a watermarked column could still need them (as Feldera keeps such a
        # primary key's index)
        marked = set(self.watermark.columns) if self.watermark is not None else set()
        self.collects = (bool(marked) and not self.rel.materialized
                         and all(marked & set(cols) for cols in self.constraints))
        self._expiry: list = []  # heap of (value of the first watermarked column, n, row) for collects
        self._n = 0
        # ``pending`` itself while it holds only rows inserted under keys the table did not hold (so none
        # of them is in ``contents``: commit adds them without looking); None once anything else queued
        self._fresh: dict | None = None
        # one-row insert and delete in one generated function each, or None (engine/one_row.py)
        self.insert_one, self.delete_one = one_row_functions(self)

    # -- committed rows not read yet ----------------------------------------------------------------
    @property
    def indexes(self) -> list:
        """Per key constraint, {key: row} over the committed and queued rows."""
        if self.unread:
            self._read_unread()
        return self._indexes

    @indexes.setter
    def indexes(self, indexes: list) -> None:
        self._indexes = indexes

    @property
    def plain_rows(self) -> dict:
        """The committed rows of a table without a PRIMARY KEY, a Z-set."""
        if self.unread:
            self._read_unread()
        return self._plain_rows

    @plain_rows.setter
    def plain_rows(self, rows: dict) -> None:
        self._plain_rows = rows

    @property
    def defers_rows(self) -> bool:
        """Whether committed batches can be kept unread (``take_unread``): a table whose only key is a
        one-column primary key, or without keys; no watermark, DEFAULT NOW() column or secondary index,
        each of which reads every row it commits."""
        return ((self.pk_column is not None or not self.constraints) and self.watermark is None
                and not self.rel.clock_columns and not self.secondary)

    def check_new_keys(self, keys: list) -> None:
        """The DataError ``queue_insert`` raises for rows with these one-column primary ``keys`` (in
        their order) into a table with nothing queued: the first key the table holds or the batch gives
        twice.  Reads the keys only: unread batches stay unread."""
        index = self._indexes[0]
        if len(set(keys)) == len(keys) and index.keys().isdisjoint(keys):
            return
        seen: set = set()
        for k in keys:
            if k in index or k in seen:
                raise DataError(self._violation(self.constraints[0], k))
            seen.add(k)

    def take_unread(self, batch, keys: list | None) -> None:
        """Commit ``batch`` (an object whose ``rows()`` reads its rows: a sharded COPY's, which a step
        has just fed to the workers) without reading it: its one-column primary ``keys``, which
        ``check_new_keys`` passed, are filed under a placeholder, and the rows are read the first time
        anything reads the table's rows or indexes (``_read_unread``).  Only where ``defers_rows``,
        with nothing queued."""
        if keys is not None:
            self._indexes[0].update(dict.fromkeys(keys, _UNREAD))
        self.unread.append(batch)

    def _read_unread(self) -> None:
        """Read the unread batches into the index (their placeholders become their rows) or the
        Z-set of committed rows."""
        unread = self.unread
        while unread:  # (a batch leaves the list once filed: one whose reading fails stays unread)
            rows = unread[0].rows()
            if self.pk_column is not None:
                self._indexes[0].update(zip(map(itemgetter(self.pk_column), rows), rows))
            else:
                plain = self._plain_rows
                get = plain.get
                for r in rows:
                    plain[r] = get(r, 0) + 1
            del unread[0]

    @property
    def queue_is_fresh(self) -> bool:
        """Whether the queue holds only rows filed under new keys at C speed (_file_fresh) since it was
        last empty: no other change to it since, logged or not (insert_row/delete_row outside a
        transaction log nothing; every other change resets ``_fresh``)."""
        return self._fresh is not None and self.pending is self._fresh

    @property
    def discarded(self) -> int:
        """Rows behind the watermarks no longer kept (a table that is not materialized)."""
        return self.watermark.discarded if self.watermark is not None else 0

    # -- lateness ---------------------------------------------------------------------------------
    def late_test(self):
        """A function row -> True if the row is late now, or None when nothing can be late."""
        wm = self.watermark
        if wm is None:
            return None
        marks = [(c, v) for c, v in zip(wm.columns, wm.values) if v is not None]
        if not marks:
            return None
        if len(marks) == 1:
            (c, mark), = marks

            def late(row):
                v = row[c]
                return v is not None and v < mark
            return late

        def late_any(row):
            for c, mark in marks:
                v = row[c]
                if v is not None and v < mark:
                    return True
            return False
        return late_any

    def _on_time(self, rows, late) -> list:
        kept = [r for r in rows if not late(r)]
        self._count_late(len(rows) - len(kept))
        return kept

    def _count_late(self, n: int) -> None:
        if n:
            self.pending_late += n
            if self.log is not None:
                self.log.record(self, _LATE, n)

    @staticmethod
    def key_of(row, cols):
        """A constraint's key: the value itself for one column, else a tuple (None if any is NULL)."""
        if len(cols) == 1:
            return row[cols[0]]
        key = tuple(row[i] for i in cols)
        return None if None in key else key

    @property
    def contents(self):
        """The committed rows, a Z-set {row: weight} (a read-only mapping for a keyed table)."""
        return self.plain_rows if self.keyed is None else self.keyed

    @contents.setter
    def contents(self, rows: dict) -> None:
        """Replace the committed rows (a restored state); nothing may be queued."""
        self.pending, self._fresh = {}, None
        self.unread = []
        if self.keyed is None:
            self.plain_rows = rows
        else:
            if any(w != 1 for w in rows.values()):
                raise ValueError(f"{self.rel.name} has a PRIMARY KEY: no row can be held twice")
            self._reindex(rows)

    def weight(self, row) -> int:
        """How many copies of row the table holds, counting queued changes."""
        if self.keyed is not None:  # the index holds exactly the rows committed + queued, once each
            return 1 if self.indexes[0].get(self.key_of(row, self.constraints[0])) == row else 0
        return self.plain_rows.get(row, 0) + self.pending.get(row, 0)

    def current(self) -> dict:
        if self.keyed is not None:
            return dict.fromkeys(self.indexes[0].values(), 1)
        out = dict(self.plain_rows)
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
        ``replace`` (an upsert) the rows holding it are deleted first.  Late rows are dropped.  A NULL
        in a column DEFAULT NOW() becomes the clock (as advance_clock last set it; NULL while unset)."""
        if self.rel.clock_columns:
            rows = self._clocked(rows)
        late = self.late_test() if self.watermark is not None else None
        if late is not None:
            rows = self._on_time(rows, late)
        rows = self.shared.rows(rows)
        if not self.constraints:
            self._queue_plain(rows)
            return
        if self.pk_column is not None and not replace:
            self._insert_new_keys(rows)
            return
        done = []  # (row, weight) applied so far, to undo the whole batch on an error
        try:
            for r in rows:
                if late is not None and replace and self._replaces_late(r, late):
                    self._count_late(1)  # the row it replaces is late: so is the upsert
                    continue
                self._insert_one(r, replace, done)
        except DataError:
            for row, w in reversed(done):
                self._add(row, -w)
            raise
        if self.log is not None:
            self.log.record_pairs(self, done)

    def insert_row(self, row, logged: bool = True) -> None:
        """``queue_insert([row])``, through the table's generated ``insert_one`` where it has one
        (engine/one_row.py).  ``logged`` False: no ChangeLog entry (the caller knows no savepoint can
        roll it back: one of the API's one-row changes outside a transaction)."""
        one = self.insert_one
        if one is None or not one(row, logged):
            self.queue_insert([row])

    def delete_row(self, row, logged: bool = True) -> None:
        """``queue_delete([row])``, through the table's generated ``delete_one`` where it has one.
        ``logged``: as insert_row's."""
        one = self.delete_one
        if one is None or not one(row, logged):
            self.queue_delete([row])

    def _clocked(self, rows) -> list:
        now = self.clock()
        cols = self.rel.clock_columns
        if now is None:
            return rows
        out = []
        for r in rows:
            if any(r[c] is None for c in cols):
                r = tuple(now if i in cols and v is None else v for i, v in enumerate(r))
            out.append(r)
        return out

    def _insert_new_keys(self, rows) -> None:
        """queue_insert's common case inline: one key column, and no key may be taken.  A batch
        whose keys are new and distinct (the common case) is filed at C speed; otherwise the loop
        finds the first taken key, and undoes the rows before it.  Rows under new keys are in
        neither the contents nor the queue (every row there with a positive weight has its key in
        the index; one queued for deletion is found by isdisjoint, unless the queue holds only such
        new rows, ``_fresh``), so a queue made only of them is committed without looking."""
        index, c, pending = self.indexes[0], self.pk_column, self.pending
        if len(rows) > 1 and self._file_fresh(rows, list(map(itemgetter(c), rows))):
            return
        self._fresh = None
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

    def _file_fresh(self, rows, keys) -> bool:
        """File and queue ``rows`` under their one-column primary ``keys`` at C speed if every key is
        new, distinct and not NULL (True), else change nothing (False).  Every row is hashed before
        anything changes, so one that cannot be raises with nothing changed."""
        index, pending = self.indexes[0], self.pending
        if index.keys().isdisjoint(keys) and (
                not pending or pending is self._fresh or pending.keys().isdisjoint(rows)):
            fresh = dict.fromkeys(rows, 1)
            n = len(index)
            index.update(zip(keys, rows))
            # every key was new, so the index grew by the number of distinct keys; it holds no NULL key
            if len(index) - n != len(keys) or None in index:  # a key given twice, or NULL: take them out
                for k in keys:
                    index.pop(k, None)
                return False
            if not pending:
                self.pending = self._fresh = fresh
            else:
                pending.update(fresh)  # (distinct keys: distinct rows, none queued)
            if self.log is not None:
                self.log.record(self, rows, 1)
            return True
        return False

    def insert_unchecked(self, rows: list) -> bool:
        """``queue_insert(rows)`` for rows whose types are still being checked elsewhere (a sharded
        pipeline's workers: engine/shards/staging.py), where it is the C-speed filing of new keys: a
        table whose only constraint is a one-column primary key, without watermarks or DEFAULT NOW()
        columns, and rows whose keys are new, distinct and not NULL.  True: queued and logged, whatever
        the rows are (a ChangeLog rollback takes them back exactly); False or an exception (a row that
        is not a sequence, or cannot be hashed): nothing changed."""
        c = self.pk_column
        if c is None or self.watermark is not None or self.rel.clock_columns or len(rows) < 2:
            return False
        return self._file_fresh(rows, list(map(itemgetter(c), rows)))

    def insert_plain(self, rows: list) -> bool:
        """``queue_insert(rows)`` for a table without key constraints, watermarks or DEFAULT NOW()
        columns, queued and logged as the very list given (True; a COPY's batch read by the workers,
        engine/shards/staging.py, whose queue must be that list to be fed as their parts), its values
        not shared (table_values: the workers shared a batch's repeated texts); False: nothing changed."""
        if self.constraints or self.watermark is not None or self.rel.clock_columns or len(rows) < 2:
            return False
        self._queue_plain(rows)
        return True

    def _queue_plain(self, rows: list) -> None:
        """Queue and log ``rows`` (the very list) into a table without key constraints: a fresh queue of
        distinct rows at C speed."""
        pending = self.pending
        fresh = None if pending else dict.fromkeys(rows, 1)
        if fresh is not None and len(fresh) == len(rows):
            self.pending = fresh
        else:
            get = pending.get
            for r in rows:
                n = get(r, 0) + 1
                if n:
                    pending[r] = n
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

    def _replaces_late(self, row, late) -> bool:
        for cols, index in zip(self.constraints, self.indexes):
            key = self.key_of(row, cols)
            old = index.get(key) if key is not None else None
            if old is not None and late(old):
                return True
        return False

    def _violation(self, cols, key) -> str:
        kind = "PRIMARY KEY" if self.rel.primary_key and cols == self.constraints[0] else "UNIQUE"
        names = ", ".join(self.rel.fields[i].name for i in cols)
        value = ", ".join(show_value(v) for v in (key if len(cols) > 1 else (key,)))
        return (f"{kind} constraint violated: {self.rel.name}({names}) already holds ({value}); "
                f"nothing was changed (an upsert or INSERT OR REPLACE replaces the row)")

    def queue_delete(self, rows) -> None:
        """Queue deletions; every row must be present (counting queued changes), unless it is late
        (then it may have been discarded already: the deletion is dropped and counted)."""
        late = self.late_test() if self.watermark is not None else None
        if late is not None:
            rows = self._on_time(rows, late)
        elif self.pk_column is not None and self._delete_keyed(rows):
            self._free_values()
            return
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
        self._free_values()

    def _delete_keyed(self, rows) -> bool:
        """queue_delete's common case inline (one key column): every row is the one its key's index
        entry holds, each key once; False (nothing done) otherwise, for the general path to judge."""
        index, c, pending = self.indexes[0], self.pk_column, self.pending
        get = index.get
        self._fresh = None
        held = [get(r[c]) for r in rows]  # (the objects held, queued instead of the caller's equal tuples)
        if held != (rows if type(rows) is list else list(rows)):
            return False
        rows = held
        if len(rows) > 1 and len({r[c] for r in rows}) < len(rows):
            return False
        pget = pending.get
        for r in rows:
            del index[r[c]]
            w = pget(r, 0) - 1
            if w:
                pending[r] = w
            else:
                del pending[r]
        if self.log is not None:
            self.log.record(self, rows, -1)
        return True

    def _add(self, row, w: int) -> None:
        self._fresh = None
        n = self.pending.get(row, 0) + w
        if n:
            self.pending[row] = n
        else:
            del self.pending[row]
        self._file(row, w)

    def queue_journaled(self, delta: dict) -> None:
        """Queue a step's changes as a journal or the coordinator gives them (checked when they were
        first queued): the key indexes follow, as they follow every queued change."""
        self.pending, self._fresh = delta, None
        if self.pk_column is not None and min(delta.values(), default=1) > 0:
            # only insertions under one key column: every key is new (a step replacing a row also
            # deletes the old one), so they are filed at C speed
            self.indexes[0].update(zip(map(itemgetter(self.pk_column), delta), delta))
        elif self.constraints:
            for row, w in delta.items():
                self._file(row, w)

    def _file(self, row, w: int) -> None:
        """The key indexes after a change of ``row`` by ``w`` already added to ``pending``."""
        for cols, index in zip(self.constraints, self.indexes):
            key = self.key_of(row, cols)
            if key is None:
                continue
            if w > 0:
                index[key] = row
            elif index.get(key) == row and (self.keyed is not None or self.weight(row) <= 0):
                del index[key]  # (a keyed table holds a row once: any deletion takes it out)

    def undo(self, rows, w: int) -> None:
        """Take back queued changes (each row with weight w), newest first: a ChangeLog rollback."""
        if rows is _LATE:
            self.pending_late -= w
            return
        for r in reversed(rows):
            self._add(r, -w)

    def discard(self) -> None:
        """Drop every queued change (and make what is derived from the contents again: the key
        indexes and the order in which rows are discarded behind the watermark)."""
        rows = self.plain_rows if self.keyed is None else list(self.keyed)  # (read before the queue goes)
        self.pending, self._fresh = {}, None
        self.pending_late = 0
        self._reindex(rows)
        self.rebuild_expiry()
        self._free_values()

    def _reindex(self, rows) -> None:
        """The key indexes over ``rows`` (the committed rows: nothing queued)."""
        self.indexes = []
        for cols in self.constraints:
            if len(cols) == 1:
                c = cols[0]
                self.indexes.append({r[c]: r for r in rows if r[c] is not None})
            else:
                key_of = self.key_of
                keyed = ((key_of(r, cols), r) for r in rows)
                self.indexes.append({k: r for k, r in keyed if k is not None})

    def commit(self) -> None:
        """The queued changes have been applied by a step: they are now contents."""
        if (self.keyed is not None or not self.pending) and not self.collects and not self.secondary:
            self.pending, self._fresh = {}, None  # the common case: the index holds them already (or none)
            self.pending_late = 0
            return
        contents, pending = self.contents, self.pending
        fresh = pending is self._fresh
        self.pending, self._fresh = {}, None
        self.pending_late = 0
        if self.collects:
            self._note(pending)
        shrunk = False
        if self.keyed is not None:
            pass  # the index holds them already
        elif fresh or (pending and min(pending.values()) > 0 and contents.keys().isdisjoint(pending)):
            contents.update(pending)  # only new rows (a bulk insert): nothing to add up or remove
        else:
            add_into(contents, pending)
            shrunk = True
        for ix in self.secondary.values():
            ix.apply(pending, contents)
        if self.collects:
            self._expire()
            shrunk = True
        if shrunk:
            self._free_values()

    def _free_values(self) -> None:
        """After rows went: if the table holds fewer rows than half of what its largest value memo
        holds, the memos without the values no row holds (table_values).  Not on the one-row paths
        (insert_row, delete_row, commit's common case): their check would cost every change; a table
        shrunk one row at a time is checked at its next bulk delete, discard or step of deletions."""
        if self.keyed is not None:
            index = self.indexes[0]  # (the rows committed and queued)
            if len(index) < self.shared.free_below:
                self.shared.free(index.values())
        elif len(self.plain_rows) + len(self.pending) < self.shared.free_below:
            self.shared.free([*self.plain_rows, *self.pending])  # (committed and queued: their values may be held)

    def _note(self, pending: dict) -> None:
        c = self.watermark.columns[0]
        heap, push = self._expiry, heapq.heappush
        for r, w in pending.items():
            if w > 0 and r[c] is not None:
                self._n += 1
                push(heap, (r[c], self._n, r))

    def _expire(self) -> None:
        """Discard the rows behind the first watermark (no step can change them any more)."""
        mark = self.watermark.values[0]
        if mark is None:
            return
        heap, contents = self._expiry, self.contents
        gone = []
        while heap and heap[0][0] < mark:
            r = heapq.heappop(heap)[2]
            w = contents.pop(r, 0) if self.keyed is None else self.weight(r)  # (nothing is queued now)
            if w > 0:
                gone.append(r)
                self.watermark.discarded += w
                for cols, index in zip(self.constraints, self.indexes):
                    key = self.key_of(r, cols)
                    if key is not None and index.get(key) == r:
                        del index[key]
        for ix in self.secondary.values():
            ix.apply(gone, contents)

    def rebuild_expiry(self) -> None:
        """Make the discarding order again from the contents."""
        if self.collects:
            c = self.watermark.columns[0]
            self._expiry = [(r[c], n, r) for n, r in enumerate(self.contents) if r[c] is not None]
            heapq.heapify(self._expiry)
            self._n = len(self._expiry)


class KeyedRows(Mapping):
    """The committed rows of a table with a PRIMARY KEY, {row: 1}, read from its primary-key index.

    Laws: a primary key admits a row at most once, so committed and current weights are 0 or 1, and
    the index holds exactly committed + queued rows.  So a row is committed iff it is in the index
    and not queued, or queued with weight -1 (deleted by the next step); while nothing is queued the
    committed rows are the index's values."""

    __slots__ = ("table",)

    def __init__(self, table: Table):
        self.table = table

    def get(self, row, default=None):
        t = self.table
        queued = t.pending.get(row, 0)
        if queued:
            return 1 if queued < 0 else default
        return 1 if t.indexes[0].get(t.key_of(row, t.constraints[0])) == row else default

    def __getitem__(self, row) -> int:
        w = self.get(row)
        if w is None:
            raise KeyError(row)
        return w

    def __contains__(self, row) -> bool:
        return self.get(row) is not None

    def __iter__(self):
        t = self.table
        rows, pending = t.indexes[0].values(), t.pending
        if not pending:
            return iter(rows)
        return chain((r for r in rows if r not in pending), (r for r, w in pending.items() if w < 0))

    def __len__(self) -> int:
        t = self.table
        return len(t.indexes[0]) - sum(t.pending.values())

    def keys(self):
        return iter(self)

    def values(self):
        return repeat(1, len(self))

    def items(self):
        return zip(iter(self), repeat(1))

    def copy(self) -> dict:
        return dict.fromkeys(self, 1)

    def __reduce__(self):  # pickled (a state, a worker's export) as the plain Z-set it stands for
        return (dict, (self.copy(),))

    def __repr__(self) -> str:
        return f"KeyedRows({self.copy()!r})"


_UNREAD = ("a row not read yet",)  # the index's value for a key of an unread batch (Table.take_unread)
_LATE = ("late changes",)  # a ChangeLog entry counting late changes dropped (undone by Table.undo)
