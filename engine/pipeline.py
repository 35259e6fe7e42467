"""The Pipeline: tables, views over them, and atomic steps that push changes through every view.

    p = Pipeline()
    p.execute("CREATE TABLE t(a INT); CREATE VIEW v AS SELECT a, COUNT(*) FROM t GROUP BY a")
    p.insert("t", [(1,), (1,)])
    p.step()                      # {'v': [((1, 2), 1)]}

DDL takes effect at once; changes queued by insert()/delete()/upsert() are applied by the next
``step()``; SQL change statements follow transactions (engine/transactions.py: autocommit outside
BEGIN … COMMIT, all-or-nothing inside).  A step is atomic: on any error every table, view and
operator is as it was before it.  ``step()`` reports every change to the views since the previous
``step()``, a view's first rows included, so the changes reported add up to each view's contents.
All views live in one circuit, so views share the arrangements of common subplans.

Threads: every public method holds the pipeline's lock (re-entrant), so calls from several threads
run one at a time, each seeing the pipeline between whole calls; a step is never interleaved with
an insert or a read.
"""

from __future__ import annotations

import functools
import gc
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from sqlglot import exp

from ..compiler.catalog import Catalog
from ..compiler.dialect import get_dialect
from ..compiler.errors import CompileError, DataError
from ..compiler.frontend import error_at, normalize_name, offset_to_position, parse
from ..compiler.settings import Settings, apply_settings, apply_setting, setting_statement
from ..compiler.types import TIMESTAMP, assign_value, coerce_value, show_value
from ..runtime import Circuit, StepError
from ..runtime.fused import fused_step
from ..runtime.operators.clock import Clock
from ..runtime.zset import add_into, add_scaled_into
from .ddl import DDL
from .dml import DML
from .durability import Durability
from .failures import StoppedAfterCommit, data_error, view_of
from .feeds import DeliveryError, Feeding, Feeds
from .inspect import Inspection
from .queries import Queries
from .results import View, ordered_changes
from .tables import Table
from .transactions import ChangeLog

if TYPE_CHECKING:
    from .shards import Cluster
    from .shards.staging import CopyStep

# a row given to the Python API: values in column order, or a dict by column name
Row = Sequence[Any] | Mapping[str, Any]
# what step() returns: {view: [(row, weight), ...]}
Changes = dict[str, list[tuple[tuple[Any, ...], int]]]
_C = TypeVar("_C", bound=type)
_FEW_ROWS = 64  # a step of at most this many rows of one table runs with the collector on

logging.getLogger("sqlglot").setLevel(logging.ERROR)

_CONTROL: dict[str, Callable[[], exp.Expression]] = {
    "START AS TRANSACTION": exp.Transaction, "END": exp.Commit, "END AS TRANSACTION": exp.Commit,
    "ABORT": exp.Rollback}


# the calls of a one-row change, which hold the lock in their own body (a wrapper is a Python call more)
_LOCKS_ITSELF = frozenset(("insert", "delete", "step"))


def serialized(cls: _C) -> _C:
    """Make every public method and property of ``cls`` (its mixins' included) hold ``self._lock``."""
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
            self._lock.acquire()  # (with self._lock costs ~2x this in CPython 3.11)
            try:
                return fn(self, *args, **kwargs)
            finally:
                self._lock.release()
        return locked

    for name in dir(cls):
        if name.startswith("_") or name in _LOCKS_ITSELF:
            continue
        attr: Any = getattr(cls, name)
        if isinstance(attr, property):
            setattr(cls, name, property(wrap(cast(Callable[..., Any], attr.fget))))
        elif callable(attr) and not isinstance(attr, type):
            setattr(cls, name, wrap(attr))
    return cls


@serialized
class Pipeline(DDL, DML, Queries, Inspection, Feeding, Durability):
    """Incrementally maintained SQL views.  ``dialect`` is any sqlglot dialect name (default duckdb).

    ``path``: a state file that keeps the pipeline across restarts and crashes (created if missing,
    else reopened with its tables, views and state; see engine/durability.py).  ``durability``:
    "full" syncs every step to disk, "group" at most every ``group_interval`` seconds (a power loss
    may lose those steps, a crash loses none).  A checkpoint is written every ``checkpoint_every``
    steps or ``checkpoint_interval`` seconds, whichever comes first, and on ``close()``.

    ``workers`` > 1 (or a ``backend``) shards the views' work over that many workers (engine/shards):
    ``backend`` "processes" (the default for workers > 1), "ray" (Ray actors; ``address`` a Ray
    cluster's, else a local Ray), or in this process "threads" or "simulated" (one at a time,
    deterministic, for tests).  The answers are those of one worker.

    ``max_iterations``: the most iterations a recursive view's fixpoint may take in one step;
    ``max_step_rows``: the most row changes one step (or the first fill of a new view) may produce,
    counted over every operator's output (a row passing through five operators counts five times),
    None for no limit (and, for now, only on one worker).  Past either limit the step fails with a
    DataError and nothing changes."""

    def __init__(self, dialect: str | None = None, max_iterations: int = 10_000, *, path: str | None = None,
                 durability: str = "full", checkpoint_every: int = 10_000, checkpoint_interval: float = 60.0,
                 group_interval: float = 0.2, workers: int = 1, backend: str | None = None,
                 address: str | None = None, max_step_rows: int | None = None) -> None:
        if max_step_rows is not None and (workers != 1 or backend is not None):
            raise ValueError("max_step_rows counts the rows of one circuit: not yet with workers")
        self._lock = threading.RLock()
        self.dialect = get_dialect(dialect or "duckdb")
        self.max_iterations = max_iterations
        self.settings = Settings()  # SET default_null_order, default_order, ieee_floating_point_ops (compiler/settings.py)
        self.catalog = Catalog()
        self.circuit = Circuit()
        self._clock = cast(Clock, self.circuit.add(Clock()))  # NOW() of temporal filters (runtime/operators/clock.py)
        self._clock.label = "clock"
        self._tables: dict[str, Table] = {}
        self._views: dict[str, View] = {}
        self._shared: dict = {}  # arrangements shared between views
        self._log = ChangeLog()  # every queued change, so a failed statement or transaction is undone
        self._txn: int | None = None  # the ChangeLog savepoint of BEGIN, while a transaction is open
        self._unreported: dict = {}  # view -> changes not yet returned by step() (a Z-set)
        # the table that the one-row changes outside a transaction (insert()/delete(), which the
        # ChangeLog does not hold) went to since the last tick: None if none, False if several.  Law:
        # every other queued change is in the ChangeLog (engine/tables.py), but a journal replay's,
        # which is ticked at once with nothing else queued; so while the log is empty, this table alone
        # can have changes queued, and _tick feeds it without looking at the others (a dropped table
        # makes it False)
        self._sole: Table | None | Literal[False] = None
        self.last_changes: dict = {}
        self.last_step = 0  # the number of the last step committed (the first step is 1)
        self._feeds = Feeds(self)  # subscriptions and sinks
        self._shards: Cluster | None = None  # the workers of a sharded pipeline (engine/shards)
        self._shard_options = (workers, backend, address) if workers != 1 or backend is not None else None
        # (read at every step: as instance attributes they load at the interpreter's fast path, where the
        # Durability class's defaults are looked up through the classes)
        self._store, self._closed = None, False
        try:  # (starts the workers, through _start_shards, once the dialect is known: a state file's)
            self._init_durability(path, dialect, durability, checkpoint_every, checkpoint_interval, group_interval)
        except BaseException:
            if self._shards is not None:
                self._shards.close()
            raise
        self.circuit.set_row_limit(max_step_rows)  # (after reopening: steps already committed replay whole)

    def _start_shards(self) -> None:
        if self._shard_options is not None:
            from .shards import Cluster

            workers, backend, address = self._shard_options
            self._shards = Cluster(workers, backend or "processes", self.dialect.name, self.max_iterations, address)

    @property
    def workers(self) -> int:
        """How many workers run the views (1: this process alone)."""
        return self._shards.workers if self._shards is not None else 1

    def close(self, checkpoint: bool = True) -> None:
        """Release the state file (engine/durability.py) and stop the workers of a sharded pipeline."""
        stopped = self._shards is not None and self._shards.stopped is not None
        try:  # (no checkpoint from stopped workers: the journal holds every committed step)
            Durability.close(self, checkpoint and not stopped)
        finally:
            if self._shards is not None:
                self._shards.close()

    def execute(self, sql: str) -> list[tuple[Any, ...]] | None:
        """Run ;-separated statements, each all-or-nothing.  Returns the rows of the last statement if
        it is a query.  A change statement outside BEGIN … COMMIT is committed at once (a step of its
        own); inside one, the changes wait for COMMIT, and a failing statement rolls the whole
        transaction back.  The views' changes are reported by the next ``step()``."""
        self._check_open()
        try:
            statements = parse(sql, self.dialect.name)  # a syntax error anywhere runs nothing
        except CompileError as e:
            raise self._abort(e) from None  # the same error, saying the transaction was rolled back
        result = None
        for index, st in enumerate(statements):
            result = self._run(st.ast, sql, index)
        return result

    def _run(self, ast: exp.Expression, sql: str, index: int = 0) -> Any:
        """One statement, all-or-nothing (engine/transactions.py has the rules); ``index`` is its
        position in the script ``sql`` (how a durable pipeline records DDL)."""
        if isinstance(ast, exp.Command) and ast.name.upper() == "REPLACE" and isinstance(ast.expression, exp.Literal):
            ast = parse("INSERT OR REPLACE " + ast.expression.this, self.dialect.name)[0].ast  # SQLite's REPLACE
        if isinstance(ast, (exp.Column, exp.Alias)):  # START TRANSACTION, END, ABORT: sqlglot reads a name
            words = (ast.name if isinstance(ast, exp.Column) else f"{ast.this.name} AS {ast.alias}").upper()
            ast = _CONTROL.get(words, lambda: ast)()
        if isinstance(ast, exp.Transaction):
            if self._txn is not None:
                raise self._abort(error_at(ast, "BEGIN inside a transaction", sql))
            self._txn = self._log.savepoint()
            return None
        if isinstance(ast, (exp.Commit, exp.Rollback)):
            what = "COMMIT" if isinstance(ast, exp.Commit) else "ROLLBACK"
            if self._txn is None:
                raise error_at(ast, f"{what} without BEGIN", sql)
            if what == "ROLLBACK":
                self._log.rollback_to(self._txn)
                self._txn = None
                return None
            self._txn = None
            self._tick()
            return None
        changes = isinstance(ast, (exp.Insert, exp.Delete, exp.Update, exp.Copy)) or (
            isinstance(ast, exp.Create) and ast.expression is not None and
            (ast.args.get("kind") or "").upper() == "TABLE")
        if self._txn is not None and isinstance(ast, (exp.Create, exp.Drop)):
            raise self._abort(error_at(ast, f"{ast.key.upper()} inside a transaction is not supported: run it "
                                            f"before BEGIN or after COMMIT", sql))
        if isinstance(ast, exp.Drop) or isinstance(ast, exp.Create) and (ast.args.get("kind") or "").upper() == "TABLE":
            self._sole = False  # (a table dropped or replaced: _tick looks at every queue)
        savepoint = self._log.savepoint()
        try:
            result = self._statement(ast, sql)
        except (CompileError, DataError) as e:
            if self._txn is None:
                self._log.rollback_to(savepoint)
                raise
            raise self._abort(e) from None  # the same error, saying the transaction was rolled back
        except BaseException:
            self._log.rollback_to(savepoint if self._txn is None else self._txn)
            self._txn = None
            raise
        self._record_ddl(ast, sql, index)  # (before the autocommit of CREATE TABLE … AS: it ran first)
        if changes and self._txn is None and not (isinstance(ast, exp.Copy) and self._copy_committed):
            self._tick()  # autocommit
        return result

    def _abort(self, e: CompileError | DataError) -> CompileError | DataError:
        """Roll back the open transaction (if any) because e: e, saying so."""
        if self._txn is None:
            return e
        self._log.rollback_to(self._txn)
        self._txn = None
        note = "; the transaction was rolled back"
        if isinstance(e, CompileError):
            return CompileError(e.message + note, e.line, e.col, e.sql)
        return DataError(e.message + note, e.line, e.col)

    @property
    def in_transaction(self) -> bool:
        """True between BEGIN and COMMIT/ROLLBACK."""
        return self._txn is not None

    def _statement(self, ast: exp.Expression, sql: str) -> Any:
        if setting_statement(ast) is not None:  # SET / PRAGMA / RESET: takes effect at once, as in DuckDB
            self.settings = apply_setting(self.settings, ast, sql)
            return None
        apply_settings(ast, self.settings)  # (a view keeps the settings in force when it is made)
        if isinstance(ast, exp.Command):
            self._command(ast, sql)
        _refuse_qualified_target(ast, sql)
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
        if isinstance(ast, exp.Copy):
            return self._copy_statement(ast, sql)
        if isinstance(ast, (exp.Select, exp.Union, exp.Except, exp.Intersect, exp.Subquery, exp.Values)):
            return self._query(ast, sql).rows
        text = ast.sql(dialect=self.dialect.name)
        raise error_at(ast, f"unsupported statement: {text[:60]}", sql)

    def _command(self, ast: exp.Expression, sql: str) -> None:
        """sqlglot parses what it cannot understand as a raw command: find the real syntax error."""
        head = ast.name.upper()
        rest = ast.expression if isinstance(ast.expression, str) else ""
        joined = re.search(r"\)\s*\b(INSERT|SELECT|CREATE|UPDATE|DELETE|DROP|WITH)\b", rest, re.I)
        start = sql.find(rest)
        if joined and start >= 0:  # CREATE TABLE t(a INT) INSERT …: two statements run together
            line, col = offset_to_position(sql, start + joined.start(1))
            raise CompileError(f"syntax error: missing ';' before {joined.group(1).upper()} (each statement "
                               f"ends with ';')", line, col, sql)
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

    def insert(self, table: str, rows: Iterable[Row]) -> None:
        """Queue rows (tuples in column order, or dicts by column name) for insertion.  A key the
        table already holds is a constraint error (nothing of the call is queued)."""
        self._lock.acquire()  # (_LOCKS_ITSELF; acquire/release cost less than a with block)
        try:
            t = self._tables.get(table) or self._table(table)  # (a table's own name: what _name gives)
            if t.rel.rowid is not None:
                rows = self._with_rowids(t, rows)
            if self._shards is not None:
                rows = list(rows)  # (the batch queued and logged is the pipeline's own, as check.rows makes it)
                if self._staged_insert(t, rows):
                    return
            if type(rows) is list and len(rows) == 1:  # one row: the table's generated insert (engine/one_row.py)
                # (logged only in a transaction: a savepoint taken later cannot roll it back, and a
                # failing step discards the whole queue)
                logged = self._txn is not None
                one = t.insert_one
                if one is None or not one(rows[0], logged):  # (else a row to convert, or another table)
                    t.insert_row(self._row(t, rows[0]), logged)
                if not logged and self._sole is not t:
                    self._sole = t if self._sole is None else False
                return
            # rows that already have the right types pass a generated loop; the others are converted
            t.queue_insert(t.check.rows(rows, lambda r: self._row(t, r)))  # type: ignore[attr-defined]
        finally:
            self._lock.release()

    def _staged_insert(self, t: Table, rows: list) -> bool:
        """insert() on a sharded pipeline: the workers check a bulk batch's types while the coordinator
        files its keys (engine/shards/staging.py).  True: queued; False: nothing changed, and the
        coordinator checks the batch itself (a row to convert, a bad one, a small batch)."""
        shards = self._shards
        assert shards is not None
        savepoint = self._log.savepoint()
        filed: list[bool] = []

        def file_keys() -> None:
            try:
                filed.append(t.insert_unchecked(rows))
            except Exception:  # noqa: BLE001 - a row that cannot be hashed: nothing changed, a worker refuses it
                filed.append(False)

        try:
            ok = shards.stage(t.rel.name, t, rows, file_keys, self.circuit)
        except BaseException:
            if filed and filed[0]:
                self._log.rollback_to(savepoint)
            raise
        if filed and filed[0]:
            if ok:
                return True
            self._log.rollback_to(savepoint)  # a row fails the check: the coordinator checks the batch
        elif ok:
            t.queue_insert(rows)
        return ok

    def _with_rowids(self, t: Table, rows: Iterable[Any]) -> list[Row]:
        """SQLite's rowid: a row without its INTEGER PRIMARY KEY (or with NULL) gets one more than the
        largest key the table holds, counting queued rows and the rows before it."""
        i = t.rel.rowid
        assert i is not None
        name = t.rel.fields[i].name
        top = None
        out = []
        for r in rows:
            missing = (r.get(name) is None) if isinstance(r, dict) else \
                (isinstance(r, (tuple, list)) and len(r) == len(t.rel.fields) and r[i] is None)
            if missing:
                if top is None:
                    top = max((k for k in t.indexes[0] if isinstance(k, int)), default=0)
                top += 1
                r = {**r, name: top} if isinstance(r, dict) else tuple(r[:i]) + (top,) + tuple(r[i + 1:])
            out.append(r)
        return out

    def upsert(self, table: str, rows: Iterable[Row]) -> None:
        """Queue rows for insertion, each replacing the rows that hold its PRIMARY KEY or UNIQUE
        values (INSERT OR REPLACE)."""
        t = self._table(table)
        if not t.constraints:
            raise DataError(f"upsert into {table!r}: the table has no PRIMARY KEY or UNIQUE constraint")
        check = t.check
        t.queue_insert([check(r) or self._row(t, r) for r in rows], replace=True)

    def delete(self, table: str, rows: Iterable[Row]) -> None:
        """Queue rows for deletion; each must be present (counting queued changes).  In a table with a
        PRIMARY KEY, a dict holding just the key's columns deletes the row with that key."""
        self._lock.acquire()  # (_LOCKS_ITSELF)
        try:
            t = self._tables.get(table) or self._table(table)
            if type(rows) is list and len(rows) == 1:  # (as insert's)
                r = rows[0]
                logged = self._txn is not None
                one = t.delete_one
                if one is None or not one(r, logged):
                    t.delete_row(self._by_key(t, r) or self._row(t, r), logged)
                if not logged and self._sole is not t:
                    self._sole = t if self._sole is None else False
                return
            check = t.check  # a row of the right types first: the common case
            t.queue_delete([check(r) or self._by_key(t, r) or self._row(t, r) for r in rows])
        finally:
            self._lock.release()

    def _by_key(self, t: Table, row: Row) -> tuple[Any, ...] | None:
        """The row a dict of exactly the PRIMARY KEY's columns names, or None for any other row."""
        pk = t.rel.primary_key
        if not pk or not isinstance(row, dict) or len(row) != len(pk) or len(row) == len(t.rel.fields):
            return None
        names = [t.rel.fields[i].name for i in pk]
        if set(row) != set(names):
            return None
        values = [coerce_value(row[n], t.rel.fields[i].type, f"{t.rel.name}.{n}") for n, i in zip(names, pk)]
        found = t.by_key(values[0] if len(values) == 1 else tuple(values))
        if found is None:
            shown = ", ".join(f"{n} = {show_value(v)}" for n, v in zip(names, values))
            raise DataError(f"cannot delete from {t.rel.name}: no row has {shown}")
        return found

    def _name(self, name: str) -> str:
        """A table or view name given to the Python API as the catalog holds it: the name itself if a
        relation has exactly that name, else folded as the dialect folds an unquoted identifier (so
        ``Orders`` finds the table ``CREATE TABLE Orders`` made, and a Postgres ``"Foo"`` is found
        as ``Foo`` only)."""
        return name if not isinstance(name, str) or self.catalog.relation(name) is not None \
            else normalize_name(name, self.dialect.name)

    def normalize_row(self, table: str, row: Row) -> tuple[Any, ...]:
        """A row (tuple in column order, or dict by column name) as the table stores it, without
        queuing it; DataError if it does not fit the table."""
        return self._row(self._table(table), row)

    def follow(self, source: Any, **options: Any) -> Any:
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

    def _row(self, t: Table, row: Row, assign: bool = False) -> tuple[Any, ...]:
        """row checked for t's columns; ``assign``: an INSERT's or UPDATE's values, converted to the
        column types as SQL assigns them (types.assign_value) instead of only checked."""
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
            v = assign_value(v, f.type, where, self.dialect) if assign else coerce_value(v, f.type, where)
            if v is None and not f.nullable:
                raise DataError(f"{where}: NULL in a NOT NULL column")
            out.append(v)
        return tuple(out)

    def discard(self) -> None:
        """Drop every queued change (and close an open transaction)."""
        for t in self._tables.values():
            t.discard()
        self._log.clear()
        self._txn = None
        self._sole = None

    def advance_clock(self, now: Any) -> None:
        """Set NOW() (a TIMESTAMP, or its text) for the next step: temporal filters then let in the
        rows whose time has come and out those whose time has passed.  The clock only moves forward;
        it is unset (no row passes a temporal filter) until first set."""
        value = coerce_value(now, TIMESTAMP, "the clock")
        if value is None:
            raise DataError("the clock cannot be set to NULL")
        clock = self._clock
        current = clock.pending if clock.pending is not None else clock.now
        if current is not None and value < current:
            raise DataError(f"the clock only moves forward: it is at {current}, not {value}")
        clock.pending = value

    @property
    def now(self) -> Any:
        """The clock's value at the last step (NOW() of temporal filters), or None if never set."""
        return self._clock.now

    def step(self, meta: dict[str, Any] | None = None, now: Any = None) -> Changes:
        """Apply every queued change as one atomic tick, and return every change to the views since
        the previous ``step()``: those of this tick and of the ticks ``execute()`` committed
        (autocommit, COMMIT), a new view's first rows, a replaced view's old rows retracted.

        The answer is {view: [(row, weight), …]}, views in the order they were created, and in each
        the removed rows (negative weights) before the added ones, each part ordered by value, column
        by column, NULLs last: the same input always gives the same answer.  Adding up every change a
        view was ever reported gives its contents.  A step that fails changes nothing, discards the
        queued changes (they would fail again) and raises a DataError saying so.  Each committed tick
        goes to the subscribers and sinks (engine/feeds); if one fails, the tick stays committed and a
        DeliveryError names what failed (``last_changes`` then holds what this call would return).

        With a state file the tick is durable when this returns; ``meta`` ({key: small picklable
        value}, a source's position) is committed with it and read back by ``meta(key)``.
        ``now``: advance the clock (NOW() of temporal filters) to it first (``advance_clock``)."""
        self._lock.acquire()  # (_LOCKS_ITSELF)
        try:
            if self._closed:
                self._check_open()
            if self._txn is not None:
                raise DataError("a transaction is open: COMMIT or ROLLBACK it (step() would commit half of it)")
            meta = self._check_meta(meta) if meta else None
            if now is not None:
                self.advance_clock(now)
            try:
                self._tick(meta)
            except (DeliveryError, StoppedAfterCommit):
                self._report()
                raise
            return self._report()
        finally:
            self._lock.release()

    def take_changes(self) -> Changes:
        """What the next ``step()`` would return for the steps already committed (by execute():
        autocommit, COMMIT; DDL), without making a step of what is queued: for a caller that ran SQL
        statements and wants their changes without an empty step after them (the CLI)."""
        if self._txn is not None:
            raise DataError("a transaction is open: COMMIT or ROLLBACK it first")
        return self._report()

    def _tick(self, meta: dict[str, Any] | None = None, copied: CopyStep | None = None) -> None:
        """Push the queued changes through the circuit as one committed step (its number is
        ``last_step``); the views' deltas wait in _unreported for step(), and go to the feeds now.
        With a state file the step's journal record is committed before the step is final.
        ``copied``: a COPY that is this step, read by the workers (staging.CopyStep, Cluster.step)."""
        sole = self._sole
        if copied is None and sole and not self._log.entries:  # that table alone can have changes queued (_sole's law)
            fed = [sole] if sole.pending else []
        else:  # (a loop: a comprehension is a call more in CPython 3.11)
            fed = []
            for t in self._tables.values():
                if t.pending or t.pending_late or copied is not None and t is copied.table:
                    fed.append(t)
        for t in fed:
            # (the queue itself, not a copy: streams are read-only, and commit() gives the table
            # a new queue; on failure the input's is dropped and the table's stays queued)
            t.input.pending = t.pending
            if t.pending_late:
                t.watermark.dropping = t.pending_late
        stopped = None
        # (None without a state file; test_shards puts its own hook on a sharded pipeline)
        shards = self._shards
        hook = self._journal_hook(fed, meta, copied) if self._store is not None or shards is not None else None
        # the collector paused for the step (collector_paused inline: a path taken once per step),
        # unless one table changed by a few rows and no recursive view can make many of them (its
        # fused step is ``light``): then the pause costs more than it spares
        if len(fed) == 1 and shards is None:  # one table changed: its fused step (runtime/fused.py)
            t = fed[0]
            step = t.input.fused  # (made once, then kept: Input.fused; fused_step may give circuit.step)
            if step is not None and step.light and len(t.pending) <= _FEW_ROWS:
                collecting = False
            else:
                step = step or fused_step(self.circuit, t.input)
                collecting = (not getattr(step, "light", False) or len(t.pending) > _FEW_ROWS) and gc.isenabled()
        else:
            step = None
            collecting = gc.isenabled()
        if collecting:
            gc.disable()
        try:
            if shards is not None:
                shards.step(self, hook, copied)
            elif step is not None:
                step(hook)
            else:
                self.circuit.step(hook)
        except StepError as e:
            for t in fed:
                t.input.pending = {}
                if t.watermark is not None:
                    t.watermark.dropping = 0
            self.discard()
            if not isinstance(e.cause, Exception):  # Ctrl-C, SystemExit: rolled back, and passed on
                raise e.cause.with_traceback(None) from None
            raise data_error(e.cause, view_of(e.op), discarded=True) from e
        except StoppedAfterCommit as e:
            stopped = e  # committed: it is kept (and delivered) like any step, then the stop raised
        except BaseException:  # the journal could not be written: nothing changed, the changes stay queued
            for t in fed:
                t.input.pending = {}
                if t.watermark is not None:
                    t.watermark.dropping = 0
            raise
        finally:
            if collecting:
                gc.enable()
        for t in fed:
            if t.keyed is not None and not t.collects and not t.secondary:
                t.pending, t._fresh, t.pending_late = {}, None, 0  # (Table.commit's common case, inline)
            else:
                t.commit()
        self._sole = None
        log = self._log
        if log.entries:
            log.entries = []  # (ChangeLog.clear inline)
        feeding = self._feeds.sinks or self._feeds.subscriptions
        tick: dict = {}
        unreported = self._unreported
        for name, v in self._views.items():
            delta = v.output.delta
            if delta:  # (_note_changes of a tick, inline)
                u = unreported.get(name)
                if u is None:
                    # the delta itself, not a copy: a later tick gives the Output a new delta before
                    # this one is added to (the DDL path, _note_changes, copies it first)
                    unreported[name] = delta
                else:
                    add_into(u, delta)
                if feeding:
                    tick[name] = ordered_changes(delta, v.nan_free)
        self.last_step += 1
        if meta or self._store is not None:  # (else _stepped has nothing to do)
            self._stepped(meta)
        try:
            if feeding:
                self._feeds.deliver(self.last_step, tick)
        finally:
            if stopped is not None:
                raise stopped

    def _note_changes(self, name: str, delta: dict, scale: int = 1, tick: bool = False) -> None:
        """Changes to a view, to be reported by the next step(); those made outside a tick (DDL) also
        go into the next tick's retained deltas."""
        if not tick:
            self._hold_for_outbox(name, delta, scale)
        u = self._unreported.get(name)
        if u is None and scale == 1:
            self._unreported[name] = dict(delta)  # the common case: a copy at C speed
            return
        # (a copy: the last tick's may be a view's current delta, which _tick notes without copying)
        self._unreported[name] = u = {} if u is None else dict(u)
        add_scaled_into(u, delta, scale)

    def _report(self) -> Changes:
        changes: Changes = {}
        unreported = self._unreported
        if not unreported:
            self.last_changes = changes
            return changes
        if len(unreported) == 1:  # one view changed: no need to walk them all for their order
            name, u = unreported.popitem()  # (it is left empty: the next step's)
            if len(u) == 2:  # (ordered_changes of a one-row change, -old +new, inline)
                first, second = items = [*u.items()]
                if first[1] < 0 < second[1] or second[1] < 0 < first[1]:
                    changes[name] = items if first[1] < 0 else [second, first]
                    self.last_changes = changes
                    return changes
            v = self._views.get(name)
            if u and v is not None:
                changes[name] = ordered_changes(u, v.nan_free)
        else:
            for name, v in self._views.items():
                u = unreported.get(name)
                if u:
                    changes[name] = ordered_changes(u, v.nan_free)
            self._unreported = {}
        self.last_changes = changes
        return changes


def _refuse_qualified_target(ast: exp.Expression, sql: str) -> None:
    """A schema- or catalog-qualified name in CREATE/DROP/INSERT/UPDATE/DELETE is a CompileError:
    deltasql has one namespace, and reading ``s.a`` as ``a`` would silently merge two tables."""
    if not isinstance(ast, (exp.Create, exp.Drop, exp.Insert, exp.Update, exp.Delete, exp.Copy)):
        return
    target = ast.this.this if isinstance(ast.this, exp.Schema) else ast.this
    if isinstance(target, exp.Index):
        target = target.args.get("table")
    for table in (ast.args.get("tables") or [target]) if isinstance(ast, exp.Drop) else [target]:
        if not isinstance(table, exp.Table):
            continue
        for part, words in (("catalog", "a catalog name"), ("db", "a schema name")):
            node = table.args.get(part)
            if node is not None and node.name:
                raise error_at(node, f"{words} ({node.name}.{table.name}) is not supported: deltasql has one "
                                     "namespace", sql)

