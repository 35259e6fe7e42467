"""A Pipeline fed change-file units in order: each step-unit applied atomically (a failed one
discards what it queued), statements executed (BEGIN, COMMIT and ROLLBACK too: the Pipeline's
transactions make a block all-or-nothing, and a change outside one is committed at once), errors
placed at their file positions."""

from __future__ import annotations

import datetime
import os

from sqlglot import exp

from ..compiler import CompileError, DataError
from ..compiler.frontend import parse
from ..engine import Pipeline
from . import InputError
from .changefiles import ClockChange, RowChange, Statement, Unit, compile_error_text


def data_error_text(e: DataError, where_path: str, line: int, col: int = 1) -> str:
    """A DataError placed at a statement that starts at line:col; the error's own position (relative
    to the statement's text) moves it onto the value to blame."""
    if e.line is None:
        return f"{where_path}:{line}: error: {e.message}"
    if e.col is None:
        return f"{where_path}:{line + e.line - 1}: error: {e.message}"
    rel_col = e.col + (col - 1 if e.line == 1 else 0)
    return f"{where_path}:{line + e.line - 1}:{rel_col}: error: {e.message}"


def batches(actions: list):
    """The actions with consecutive rows of the same table and operation gathered into lists."""
    batch: list[RowChange] = []
    for a in actions:
        if batch and (not isinstance(a, RowChange) or (a.op, a.table) != (batch[0].op, batch[0].table)):
            yield batch
            batch = []
        if isinstance(a, RowChange):
            batch.append(a)
        else:
            yield a
    if batch:
        yield batch


class Session:
    """A Pipeline fed units in order; with ``path``, a durable one (created, or resumed: then
    ``resumed`` is True)."""

    def __init__(self, dialect: str | None, path: str | None = None, durability: str = "full",
                 clock: str | None = None, **options):
        """``options``: the Pipeline's options (max_iterations, max_step_rows; sharding: workers, backend,
        address)."""
        self.resumed = path is not None and os.path.exists(path)
        try:
            self.p = Pipeline(dialect=dialect, path=path, durability=durability, **options)
        except CompileError as e:
            raise InputError(f"error: {e.message}") from None
        except (DataError, ValueError) as e:  # a state file that cannot be used, options that do not go together
            raise InputError(f"error: {e}") from None
        self.dialect = self.p.dialect.name
        self.steps = 0
        self.clock = clock  # "wall": NOW() is the wall clock (UTC) at every step; else a start value or None
        if clock not in (None, "wall"):
            try:
                self.p.advance_clock(clock)
            except DataError as e:
                raise InputError(f"error: --clock: {e}") from None

    def late_rows(self) -> int:
        """Late changes the tables with watermarks have dropped so far."""
        return sum(self.p.late_rows(t) for t in self.p.tables)

    def close(self) -> None:
        try:
            self.p.close()
        except DataError as e:
            raise InputError(f"error: {e}") from None

    def views_to_resume(self, units: list[Unit]) -> list[Unit]:
        """VIEWS.sql's units when resuming a state file: the CREATE statements of the tables and views
        it does not hold yet (and CREATE OR REPLACE VIEW of a view defined differently).  Everything
        else in VIEWS.sql took effect when the file was made (its INSERTs too) and is skipped; a
        CREATE of something the file holds with another definition is an error."""
        out = []
        for unit in units:
            kept = []
            for st in unit.actions:
                if not isinstance(st, Statement) or st.kind != "ddl":
                    continue
                ast = parse(st.text, self.dialect)[0].ast
                kind = (ast.args.get("kind") or "").upper() if isinstance(ast, exp.Create) else ""
                if kind not in ("TABLE", "VIEW"):
                    continue
                target = ast.this.this if isinstance(ast.this, exp.Schema) else ast.this
                name = target.name
                if name not in self.p.tables and name not in self.p.views:
                    kept.append(st)
                    continue
                if self.p.definition(name) == ast.sql(dialect=self.dialect):
                    continue
                if kind == "VIEW" and ast.args.get("replace"):
                    kept.append(st)
                    continue
                raise InputError(f"{st.where}: error: {kind.lower()} {name} is defined differently in "
                                 f"{self.p.path}; to change a view, write CREATE OR REPLACE VIEW")
            if kept:
                out.append(Unit(kept, False, kept[0].where))
        return out

    def apply(self, unit: Unit) -> tuple[dict | None, list]:
        """Run a unit: returns the step's changes (None if it was no step) and the ad-hoc queries'
        answers as (statement, answer) pairs, an answer having .columns and .rows."""
        queries = []
        try:
            for item in batches(unit.actions):
                if isinstance(item, ClockChange):
                    try:
                        self.p.advance_clock(item.value)
                    except DataError as e:
                        raise InputError(f"{item.where}: error: {e}") from None
                    continue
                if isinstance(item, Statement):
                    rows = self._statement(item)
                    if item.kind == "query":
                        queries.append((item, rows))
                else:
                    self._rows(item)
            if not unit.step:
                return None, queries
            if self.clock == "wall":
                self.p.advance_clock(max(datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None),
                                         self.p.now or datetime.datetime.min))
            try:
                # rows queued here make a step; statements committed their own (autocommit, COMMIT)
                queued = any(isinstance(a, RowChange) for a in unit.actions)
                changes = self.p.step() if queued else self.p.take_changes()
            except DataError as e:
                raise InputError(f"{unit.where}: error: {e}") from None
        except BaseException:
            self.p.discard()
            raise
        self.steps += 1
        return changes, queries

    def _statement(self, st: Statement):
        """Execute a statement; a query's answer (columns and rows) for a SELECT."""
        try:
            return self.p.query(st.text) if st.kind == "query" else self.p.execute(st.text)
        except CompileError as e:
            raise InputError(compile_error_text(e, st)) from None
        except DataError as e:
            raise InputError(data_error_text(e, st.path, st.line, st.col)) from None

    def _rows(self, batch: list[RowChange]) -> None:
        """Queue a batch of same-table, same-operation rows; on a bad row, name its line."""
        op = self.p.insert if batch[0].op == "insert" else self.p.delete
        table = batch[0].table
        try:
            op(table, [c.row for c in batch])
            return
        except DataError:
            pass
        for c in batch:  # the batch was refused as a whole: find the row to blame
            try:
                op(table, [c.row])
            except DataError as e:
                raise InputError(f"{c.where}: error: {e}") from None
        raise AssertionError("a batch was refused but each of its rows was accepted")
