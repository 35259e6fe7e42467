"""The Pipeline: tables, views over them, and atomic steps that push changes through every view.

    p = Pipeline()
    p.execute("CREATE TABLE t(a INT); CREATE VIEW v AS SELECT a, COUNT(*) FROM t GROUP BY a")
    p.insert("t", [(1,), (1,)])
    p.step()                      # {'v': [((1, 2), 1)]}

DDL takes effect at once; changes (insert/delete/DML statements) are queued and applied by the next
``step()``, which is atomic: on any error every table, view and operator is as it was before it.
All views live in one circuit, so views share the arrangements of common subplans.
"""

from __future__ import annotations

import logging
import re

from sqlglot import exp

from ..compiler.catalog import Catalog
from ..compiler.dialect import get_dialect
from ..compiler.errors import CompileError, DataError
from ..compiler.frontend import error_at, normalize_name, offset_to_position, parse
from ..compiler.types import coerce_value
from ..runtime import Circuit, StepError
from .ddl import DDL
from .dml import DML
from .failures import data_error, view_of
from .feeds import Feeding, Feeds
from .inspect import Inspection
from .queries import Queries
from .results import View
from .tables import Table

logging.getLogger("sqlglot").setLevel(logging.ERROR)


class Pipeline(DDL, DML, Queries, Inspection, Feeding):
    """Incrementally maintained SQL views.  ``dialect`` is any sqlglot dialect name."""

    def __init__(self, dialect: str = "duckdb", max_iterations: int = 10_000):
        self.dialect = get_dialect(dialect)
        self.max_iterations = max_iterations
        self.catalog = Catalog()
        self.circuit = Circuit()
        self._tables: dict[str, Table] = {}
        self._views: dict[str, View] = {}
        self._shared: dict = {}  # arrangements shared between views
        self.last_changes: dict = {}
        self.last_step = 0  # the number of the last step committed (the first step is 1)
        self._feeds = Feeds(self)  # subscriptions and sinks

    def execute(self, sql: str):
        """Run ;-separated statements.  Returns the rows of the last statement if it is a query.
        COMMIT runs a step; ROLLBACK discards the queued changes."""
        result = None
        for st in parse(sql, self.dialect.name):
            result = self._statement(st.ast, sql)
        return result

    def _statement(self, ast, sql):
        if isinstance(ast, exp.Command):
            self._command(ast, sql)
        if isinstance(ast, exp.Command) and ast.name.upper() == "REPLACE":
            rewritten = "INSERT OR REPLACE " + ast.expression.this if isinstance(ast.expression, exp.Literal) \
                else None
            if rewritten:
                return self.execute(rewritten)
        if isinstance(ast, exp.Create):
            kind = (ast.args.get("kind") or "").upper()
            if kind == "TABLE":
                return self._create_table(ast, sql)
            if kind == "VIEW":
                return self._create_view(ast, sql)
            if kind == "INDEX":
                return self._create_index(ast, sql)
            raise error_at(ast, f"CREATE {kind} is not supported", sql)
        if isinstance(ast, exp.Drop):
            return self._drop(ast, sql)
        if isinstance(ast, exp.Insert):
            return self._insert_statement(ast, sql)
        if isinstance(ast, exp.Delete):
            return self._delete_statement(ast, sql)
        if isinstance(ast, exp.Update):
            return self._update_statement(ast, sql)
        if isinstance(ast, (exp.Select, exp.Union, exp.Except, exp.Intersect, exp.Subquery, exp.Values)):
            return self._query(ast, sql).rows
        if isinstance(ast, exp.Transaction):
            return None
        if isinstance(ast, exp.Commit):
            self.step()
            return None
        if isinstance(ast, exp.Rollback):
            self.discard()
            return None
        text = ast.sql(dialect=self.dialect.name)
        raise error_at(ast, f"unsupported statement: {text[:60]}", sql)

    def _command(self, ast, sql) -> None:
        """sqlglot parses what it cannot understand as a raw command: find the real syntax error."""
        head = ast.name.upper()
        rest = ast.expression if isinstance(ast.expression, str) else ""
        if head == "CREATE" and re.match(r"\s*(OR\s+REPLACE\s+)?(MATERIALIZED\s+)?VIEW\b", rest, re.I):
            m = re.search(r"\bAS\b", rest, re.I)
            start = sql.find(rest)
            if m and start >= 0:
                body = rest[m.end():]
                offset = start + m.end()
                try:
                    parse(body, self.dialect.name)
                except CompileError as e:
                    line, col = e.line, e.col
                    if line is not None:
                        abs_line, abs_col = offset_to_position(sql, offset)
                        if line == 1:
                            col = abs_col + col - 1
                        line = abs_line + line - 1
                    raise CompileError(e.message, line, col, sql) from None
        if head != "REPLACE":
            raise error_at(ast, f"unsupported statement: {head} {rest.strip()[:50]}", sql)

    def insert(self, table: str, rows) -> None:
        """Queue rows (tuples in column order, or dicts by column name) for insertion."""
        t = self._table(table)
        check = t.check  # the fast path inline: rows that already have the right types
        t.queue_insert([check(r) or self._row(t, r) for r in rows])

    def delete(self, table: str, rows) -> None:
        """Queue rows for deletion; each must be present (counting queued changes)."""
        t = self._table(table)
        t.queue_delete([self._row(t, r) for r in rows])

    def _name(self, name: str) -> str:
        """A table or view name given to the Python API as the catalog holds it: the name itself if a
        relation has exactly that name, else folded as the dialect folds an unquoted identifier (so
        ``Orders`` finds the table ``CREATE TABLE Orders`` made, and a Postgres ``"Foo"`` is found
        as ``Foo`` only)."""
        return name if not isinstance(name, str) or self.catalog.relation(name) is not None \
            else normalize_name(name, self.dialect.name)

    def normalize_row(self, table: str, row) -> tuple:
        """A row (tuple in column order, or dict by column name) as the table stores it, without
        queuing it; DataError if it does not fit the table."""
        return self._row(self._table(table), row)

    def follow(self, source, **options):
        """Apply a live source's changes step by step until it is done (see deltasql.connectors.sources):
        a Source object, or ``postgresql://…`` (PostgreSQL change data capture), ``kafka://BROKERS/TOPIC``,
        ``-`` (JSON-lines changes on standard input) or a directory (each new file a step).  Options:
        ``max_rows``/``max_delay`` (batching), ``on_step(changes, stats)``, ``progress``, ``stop``, and
        the source's own (``follow=False`` to stop once caught up, ``tables``, ``slot``, ``drop_slot``, …)."""
        from ..connectors.sources import follow, open_source  # sources plug in here; they import the engine

        driver = {k: options.pop(k) for k in ("max_rows", "max_delay", "on_step", "progress", "stop")
                  if k in options}
        return follow(self, open_source(source, **options), **driver)

    def _table(self, name: str) -> Table:
        name = self._name(name)
        t = self._tables.get(name)
        if t is None:
            what = "a view (views cannot be changed directly)" if name in self._views else "unknown"
            raise DataError(f"{name!r}: {what}" if what != "unknown" else f"unknown table {name!r}")
        return t

    def _row(self, t: Table, row) -> tuple:
        ok = t.check(row)
        if ok is not None:
            return ok
        fields = t.rel.fields
        if isinstance(row, dict):
            names = [f.name for f in fields]
            # keys are column names as the API takes names (see _name)
            by_name = {k if k in names or not isinstance(k, str) else normalize_name(k, self.dialect.name): v
                       for k, v in row.items()}
            if len(by_name) < len(row):
                raise DataError(f"{t.rel.name}: a column is named twice in {sorted(map(str, row))}")
            extra = set(by_name) - set(names)
            if extra:
                raise DataError(f"{t.rel.name}: unknown column(s) {', '.join(sorted(map(str, extra)))}")
            row = tuple(by_name.get(n) for n in names)
        elif not isinstance(row, (tuple, list)):
            raise DataError(f"{t.rel.name}: a row must be a tuple, list or dict, not {type(row).__name__}")
        if len(row) != len(fields):
            raise DataError(f"{t.rel.name}: expected {len(fields)} values ({', '.join(f.name for f in fields)}), "
                            f"got {len(row)}")
        out = []
        for v, f in zip(row, fields):
            where = f"{t.rel.name}.{f.name}"
            v = coerce_value(v, f.type, where)
            if v is None and not f.nullable:
                raise DataError(f"{where}: NULL in a NOT NULL column")
            out.append(v)
        return tuple(out)

    def discard(self) -> None:
        """Drop every queued change."""
        for t in self._tables.values():
            t.discard()

    def step(self) -> dict:
        """Apply every queued change: one atomic tick.  Returns {view: [(row, weight), ...]}.  Then the
        step's changes go to the subscribers and sinks; if one fails, the step stays committed and a
        DeliveryError names what failed (see engine/feeds)."""
        fed = []
        for t in self._tables.values():
            if t.pending:
                t.input.pending = dict(t.pending)
                fed.append(t)
        try:
            self.circuit.step()
        except StepError as e:
            for t in fed:
                t.input.pending = {}
            view = view_of(e.op)
            raise data_error(e.cause, view) from e
        for t in fed:
            t.commit()
        self.last_changes = {name: list(v.output.delta.items()) for name, v in self._views.items()
                             if v.output.delta}
        self.last_step += 1
        self._feeds.deliver(self.last_step, self.last_changes)
        return self.last_changes
