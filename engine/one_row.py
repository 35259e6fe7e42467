"""A table's one-row insert and delete, generated when the table is made (as the circuit's code is).

``Pipeline.insert(name, [row])`` and ``delete(name, [row])`` of one row are the API's hot path (a
stream of one-row changes, each followed by a step).  For a table whose only key constraint is a
one-column PRIMARY KEY, without watermarks or DEFAULT NOW() columns, ``one_row_functions`` makes two
functions that do what the general path does for one row, in one frame and with nothing looked up
that the table's shape already decides:

- ``insert_one(row, logged)``: the row check (compiler/types.row_checker's test, inline), then as
  ``Table.queue_insert([row])``: a key the table holds (counting queued changes) is a constraint
  error with nothing queued, else the row is filed under its key and queued;
- ``delete_one(row, logged)``: the row check, then as ``Table.queue_delete([row])`` when the key's
  index entry holds a row equal to ``row``: that entry's row (the object held, which a join's bucket
  finds by identity) leaves the index and is queued for deletion.

Each returns True when it did the change, False when it changed nothing and the general path must
judge: a row that fails the check (a list, a dict, a value to convert, a bad one: the caller converts
or refuses it), or a deletion of a row the table does not hold as its key's entry (the general path
says it is absent, or finds it queued).  ``logged`` False: no ChangeLog entry (the caller knows no
savepoint can roll the change back: a one-row change outside a transaction).

Laws relied on: the check's test accepts only rows of exactly the column types, which the table
stores as they are (so a checked row is the row stored); a primary-key column is never NULL after
the check; the key index holds exactly the committed + queued rows, one per key; every change other
than a fresh batch resets ``Table._fresh`` (``queue_is_fresh``, which the sharded staging reads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..sqllib.errors import DataError

if TYPE_CHECKING:
    from .tables import Table


def one_row_functions(table: Table) -> tuple[Any, Any]:
    """(insert_one, delete_one) for ``table``, or (None, None) when its shape needs the general path."""
    test = getattr(table.check, "test", None)
    if table.pk_column is None or table.watermark is not None or table.rel.clock_columns or test is None:
        return None, None
    names, body = test
    key = f"v{table.pk_column}"
    n = len(table.rel.fields)
    head = [f"    if type(row) is tuple and len(row) == {n}:",
            f"        {names} = row",
            f"        if {body}:",
            "            index = t.indexes[0]"]
    queue = ["            t._fresh = None",
             "            pending = t.pending",
             "            if not pending:  # (the common case: one hash of the row, not two)",
             "                pending[row] = {weight}",
             "            else:",
             "                w = pending.get(row, 0) {op} 1",
             "                if w:",
             "                    pending[row] = w",
             "                else:",
             "                    del pending[row]",
             "            if logged and t.log is not None:",
             "                t.log.entries.append((t, (row,), {weight}))  # (ChangeLog.record inline)",
             "            return True",
             "    return False"]
    src = "\n".join(
        ["def insert_one(row, logged):", *head,
         f"            if {key} in index:",
         f"                raise DataError(t._violation(t.constraints[0], {key}))",
         f"            index[{key}] = row",
         *(line.format(op="+", weight=1) for line in queue),
         "def delete_one(row, logged):", *head,
         f"            held = index.get({key})",
         "            if held is None or held != row:",
         "                return False",
         "            row = held  # (the object held, not the caller's equal tuple)",
         f"            del index[{key}]",
         *(line.format(op="-", weight=-1) for line in queue)])
    env = dict(table.check.__globals__)  # (the names the check's test reads)
    env.update(t=table, DataError=DataError)
    exec(compile(src, f"<one-row changes of {table.rel.name}>", "exec"), env)
    return env["insert_one"], env["delete_one"]
