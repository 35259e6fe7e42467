"""The part every database sink shares: a table per view and a bookkeeping table, changed together.

A view's table has the view's name and columns and holds each row as many times as the view does
(a bag is a bag: ``SELECT … FROM v`` in the target answers what the view holds), so a change of
weight +k inserts k copies and -k deletes k copies, whichever k rows the target finds.  Beside them
the table ``deltasql_sinks(view_name, step, columns)`` records, per view, the last step applied and
the view's columns as text.  Both change in one transaction per step: the recorded step always says
exactly which steps the rows contain (the law in ``base``).

A database module supplies the connection, its type names, and how to insert and delete rows.
"""

from __future__ import annotations

from contextlib import contextmanager

from .base import Sink, SinkError, ViewSchema

BOOKKEEPING = "deltasql_sinks"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class TableSink(Sink):
    replaceable = True
    param = "?"  # the driver's placeholder
    errors: tuple = ()  # the driver's exception classes, reported as SinkError

    def __init__(self, target: str):
        super().__init__(target)
        self.conn = None
        with self._errors("open"):
            self.conn = self._connect()
            with self._transaction("open"):
                if not self._table_exists(BOOKKEEPING):
                    self._execute(f"CREATE TABLE {BOOKKEEPING}(view_name VARCHAR NOT NULL, step BIGINT NOT NULL, "
                                  f"columns VARCHAR NOT NULL)")
            self._book = {name: (step, columns) for name, step, columns in
                          self._query(f"SELECT view_name, step, columns FROM {BOOKKEEPING}")}

    # -- what a database module supplies ----------------------------------------------------------
    def _connect(self):
        """A DB-API connection whose ``execute(sql, params)`` returns a cursor."""
        raise NotImplementedError

    @staticmethod
    def column_type(t) -> str:
        """The target's type for a column of SQL type ``t``."""
        raise NotImplementedError

    def _table_exists(self, name: str) -> bool:
        raise NotImplementedError

    def _index(self, view: ViewSchema) -> None:
        """Create what the view's deletes need to find rows (nothing, by default)."""

    def _insert(self, view: ViewSchema, rows: list) -> None:
        """Insert rows (a row repeated once per copy)."""
        raise NotImplementedError

    def _delete(self, view: ViewSchema, rows: list) -> None:
        """Delete, for each (row, k), k copies of row."""
        raise NotImplementedError

    # -- the Sink interface -----------------------------------------------------------------------
    def position(self, view: ViewSchema) -> int | None:
        recorded = self._book.get(view.name)
        if recorded is None or recorded[1] != view.signature():
            return None
        return recorded[0]

    def reset(self, step: int, view: ViewSchema, rows: dict) -> None:
        with self._transaction(f"view {view.name}: step {step}"):
            if self._table_exists(view.name):
                if view.name not in self._book:
                    raise SinkError(f"{self.target}: table {view.name} exists but was not written by deltasql; "
                                    f"drop it or sink elsewhere")
                self._execute(f"DROP TABLE {quote(view.name)}")
            self._create(view)
            copies = [r for r, w in rows.items() for _ in range(w)]
            if copies:
                self._insert(view, copies)
            self._record(view, step)
        self._book[view.name] = (step, view.signature())

    def write(self, step: int, views: dict, changes: dict) -> None:
        if not changes:
            return
        for name in changes:  # (its query may have changed since, with the same columns: recorded anew)
            if name not in self._book:
                raise SinkError(f"{self.target}: view {name} was never reset into this sink")
        with self._transaction(f"step {step}"):
            for name, delta in changes.items():
                view = views[name]
                doomed = [(r, -w) for r, w in delta if w < 0]
                if doomed:
                    self._delete(view, doomed)
                added = [r for r, w in delta if w > 0 for _ in range(w)]
                if added:
                    self._insert(view, added)
                self._record(view, step)
        for name in changes:
            self._book[name] = (step, views[name].signature())

    def close(self) -> None:
        if self.conn is not None:
            with self._errors("close"):
                self.conn.close()
            self.conn = None

    # -- helpers ----------------------------------------------------------------------------------
    def _execute(self, sql: str, params=()):
        self.conn.execute(sql, tuple(params))

    def _query(self, sql: str, params=()) -> list:
        return self.conn.execute(sql, tuple(params)).fetchall()

    def _create(self, view: ViewSchema) -> None:
        try:
            cols = ", ".join(f"{quote(c.name)} {self.column_type(c.type)}" for c in view.columns)
        except KeyError as e:
            raise SinkError(f"{self.target}: view {view.name}: no {self.kind} type for {e.args[0]} columns yet") \
                from None
        self._execute(f"CREATE TABLE {quote(view.name)}({cols})")
        self._index(view)

    def _record(self, view: ViewSchema, step: int) -> None:
        p = self.param
        if view.name in self._book:
            self._execute(f"UPDATE {BOOKKEEPING} SET step = {p}, columns = {p} WHERE view_name = {p}",
                          (step, view.signature(), view.name))
        else:
            self._execute(f"INSERT INTO {BOOKKEEPING} VALUES ({p}, {p}, {p})", (view.name, step, view.signature()))

    @contextmanager
    def _errors(self, what: str):
        try:
            yield
        except self.errors as e:
            raise SinkError(f"{self.target}: {what}: {_first_line(e)}") from e

    @contextmanager
    def _transaction(self, what: str):
        """One transaction of the target: committed if the body returns, rolled back otherwise."""
        with self._errors(what):
            self._execute("BEGIN TRANSACTION")
            try:
                yield
                self._execute("COMMIT")
            except BaseException:
                try:
                    self._execute("ROLLBACK")
                except self.errors:
                    pass  # a connection that failed mid-statement may have rolled back already
                raise


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0]
