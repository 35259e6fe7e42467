"""Transactions: what makes a statement, a BEGIN … COMMIT block and a step all-or-nothing.

The queued changes of every table are recorded, in order, in one ``ChangeLog``.  A savepoint is a
position in it; rolling back to a savepoint takes back every change recorded after it, newest first,
which restores each table's queue and key indexes exactly (each change is undone by its inverse, in
the reverse order it was made).  A step commits the queue and clears the log.

The rules built on it (engine/pipeline.py):

- a statement that fails changes nothing: the log goes back to where the statement began;
- ``BEGIN`` opens a transaction at a savepoint; ``ROLLBACK`` goes back to it; ``COMMIT`` is one
  step; a statement that fails inside a transaction rolls the whole transaction back and closes it;
- a change statement outside a transaction is committed at once, as a step of its own
  (autocommit), together with anything ``insert()``/``delete()`` queued before it;
- a step that fails changes nothing and discards its queued changes (they would fail again).
"""

from __future__ import annotations


class ChangeLog:
    """Queued table changes in the order they were made: (table, rows, weight) for a batch of
    rows that each changed by ``weight``, or (table, [(row, weight), …], None)."""

    __slots__ = ("entries",)

    def __init__(self):
        self.entries: list = []

    def record(self, table, rows, weight: int) -> None:
        self.entries.append((table, rows, weight))

    def record_pairs(self, table, pairs) -> None:
        if pairs:
            self.entries.append((table, pairs, None))

    def savepoint(self) -> int:
        return len(self.entries)

    def rollback_to(self, savepoint: int) -> None:
        """Undo every change made after the savepoint, newest first."""
        entries = self.entries
        while len(entries) > savepoint:
            table, rows, weight = entries.pop()
            if weight is None:
                for row, w in reversed(rows):
                    table.undo((row,), w)
            else:
                table.undo(rows, weight)

    def clear(self) -> None:
        self.entries = []
