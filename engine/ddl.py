"""DDL: CREATE TABLE / VIEW / INDEX and DROP.  A view is bound, optimized and lowered into the one
shared circuit, then backfilled from the integrated contents of what it reads (its first output is
the view over the current tables); a DROP removes every operator no remaining view reads.

The delta stream of a view is complete from its creation on: its first rows (a view over existing
data, over constants, an aggregate without GROUP BY over nothing) are reported by the next step(),
and CREATE OR REPLACE reports the old rows retracted and the new ones added; a failed CREATE OR
REPLACE leaves the old view as it was."""

from __future__ import annotations

import datetime
import decimal
import re

from sqlglot import exp

from ..compiler import plan as P
from ..compiler.catalog import Relation
from ..compiler.codegen import Codegen
from ..compiler.errors import CompileError, DataError
from ..compiler.frontend import error_at, normalize_name, offset_to_position, parse, position
from ..compiler.lateness import expression_text
from ..compiler.lower import Lowering
from ..compiler.passes.pipeline import optimize
from ..compiler.types import from_sqlglot, row_checker
from ..compiler.waterlines import Waterlines, bound_text, leaf, portable
from ..runtime.aggregates import ScalarSubqueryError
from ..runtime.circuit import IterationLimitError, RowLimitError
from ..runtime.nested.keyed import KeyConflictError
from ..runtime.statistics import OutOfRangeError
from ..runtime.operators.topk import LimitError
from ..runtime.windows import FrameOffsetError
from ..runtime.operators import Arrange, Input, Output
from ..runtime.operators.clock import Clock
from ..runtime.operators.emit_final import EmitFinal
from ..runtime.operators.watermark import Watermark
from .failures import data_error
from .results import View, unique_names
from .tables import Table


class DDL:
    """The Pipeline's statements that change its schema."""

    def _create_table(self, ast, sql):
        schema = ast.this
        table = schema.this if isinstance(schema, exp.Schema) else schema
        name = table.name
        replace = bool(ast.args.get("replace"))
        existing = self.catalog.relation(name)
        if existing is not None:
            if ast.args.get("exists"):
                return None
            if not replace:
                raise error_at(table, f"{name!r} already exists", sql)
            if existing.is_view:
                raise error_at(table, f"{name!r} is a view, not a table", sql)
            self._check_no_dependents(name, sql, table)
        if ast.expression is not None:
            return self._create_table_as(ast, name, sql, replace)
        fields, pk, unique, clocked = [], [], [], []
        for item in schema.expressions:
            if isinstance(item, exp.ColumnDef):
                if item.args.get("kind") is None:
                    if self.dialect.name != "sqlite":
                        raise error_at(item, f"column {item.name} needs a type", sql)
                    from .types import TEXT
                    t = TEXT
                else:
                    try:
                        t = from_sqlglot(item.args["kind"], self.dialect)
                    except LookupError as e:
                        raise error_at(item.args["kind"], f"unsupported column type {e}", sql) from None
                nullable = True
                for c in item.args.get("constraints") or []:
                    if isinstance(c.args.get("kind"), exp.DefaultColumnConstraint):
                        clocked.append(_clock_default(c, t, len(fields), sql))
                        continue
                    k = c.args.get("kind")
                    if isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null"):
                        nullable = False
                    elif isinstance(k, exp.PrimaryKeyColumnConstraint):
                        pk.append(len(fields))
                        nullable = False
                    elif isinstance(k, exp.UniqueColumnConstraint):
                        unique.append((len(fields),))
                    elif isinstance(k, exp.CollateColumnConstraint):
                        if not _binary_collation(k, self.dialect.name):
                            # a collated column compares, groups, joins and sets apart by its collation:
                            # every operator would need its key; refused rather than compared as binary
                            raise error_at(c, f"a column collation ({k.sql()}) is not supported: compare with "
                                              f"x COLLATE {k.this.name} = y, or lower(x)", sql)
                    else:  # DEFAULT, CHECK, REFERENCES, GENERATED …: not read, so refused
                        raise error_at(c, f"column constraint {c.sql()} is not supported", sql)
                if any(f.name == item.name for f in fields):
                    raise error_at(item, f"duplicate column name {item.name!r}", sql)
                fields.append(P.Field(item.name, t, nullable))
            elif isinstance(item, exp.PrimaryKey):
                names = [f.name for f in fields]
                for c in item.expressions:
                    cname = c.name
                    if cname not in names:
                        raise error_at(c, f"PRIMARY KEY column {cname!r} is not a column of {name}", sql)
                    i = names.index(cname)
                    if i not in pk:
                        pk.append(i)
                    fields[i] = P.Field(fields[i].name, fields[i].type, False)
            elif isinstance(item, exp.UniqueColumnConstraint) or (
                    isinstance(item, exp.Constraint) and any(isinstance(e, exp.UniqueColumnConstraint)
                                                             for e in item.expressions)):
                u = item if isinstance(item, exp.UniqueColumnConstraint) else \
                    next(e for e in item.expressions if isinstance(e, exp.UniqueColumnConstraint))
                names = [f.name for f in fields]
                cols = []
                for c in (u.this.expressions if isinstance(u.this, exp.Schema) else []):
                    if c.name not in names:
                        raise error_at(c, f"UNIQUE column {c.name!r} is not a column of {name}", sql)
                    cols.append(names.index(c.name))
                if not cols:
                    raise error_at(item, f"table constraint {item.sql()} is not supported", sql)
                unique.append(tuple(cols))
            else:
                raise error_at(item, f"table constraint {item.sql()} is not supported", sql)
        lateness = self._watermarks(ast, fields, sql)
        materialized = self._properties(ast, sql, ("materialized",)).get("materialized", False)
        rel = Relation(name, tuple(fields), primary_key=tuple(pk), unique=tuple(unique),
                       rowid=_rowid_alias(schema, pk, self.dialect.name, sql), lateness=lateness,
                       materialized=materialized, clock_columns=tuple(clocked))
        if replace and existing is not None:
            self._drop_table(name, sql, table)
        self._add_table(rel)

    def _add_table(self, rel: Relation) -> Table:
        inp = self.circuit.add(Input(rel.name))
        inp.label = f"table {rel.name}"
        wm = None
        if rel.lateness:
            cols, late = zip(*rel.lateness)
            wm = self.circuit.add(Watermark(inp, cols, tuple(_plain(v) for v in late),
                                            tuple(rel.fields[c].name for c in cols), rel.name))
            wm.label = f"watermark of table {rel.name}"
        t = Table(rel, inp, row_checker(rel.fields), self._log, watermark=wm,
                  clock=(lambda c=self._clock: c.pending if c.pending is not None else c.now))
        self.catalog.add(rel)
        self._tables[rel.name] = t
        if self._shards is not None:
            self._shards.replicate(("add_table", rel), self.circuit)
        return t

    def _watermarks(self, ast, fields, sql) -> tuple:
        """The columns declared with ``LATENESS L`` or ``WATERMARK FOR c AS c - L`` (compiler/lateness.py),
        as ((column index, L), ...): L a constant INTERVAL without months for a TIMESTAMP, whole days for
        a DATE, a number for a numeric column; never negative."""
        declared = ast.meta.get("watermarks") if ast._meta else None
        out = {}
        names = [f.name for f in fields]
        for d in declared or ():
            column = d.column if d.quoted else normalize_name(d.column, self.dialect.name)
            if column not in names:
                raise _error_at_offset(d.column_at, f"{d.form.upper()}: {column!r} is not a column of the table",
                                       sql)
            i = names.index(column)
            if i in out:
                raise _error_at_offset(d.column_at, f"column {d.column!r} has two watermark declarations", sql)
            node = parse(expression_text(sql, d), self.dialect.name)[0].ast.expressions[0]
            if d.form == "watermark":
                col = node.this if isinstance(node, exp.Sub) else node
                if not (isinstance(col, exp.Column) and not col.table and col.name == column):
                    raise _error_at_offset(d.expr_start, f"WATERMARK FOR {column} AS … must be {column} or "
                                           f"{column} - a constant (how late its rows may arrive)", sql)
                node = node.expression if isinstance(node, exp.Sub) else None
            out[i] = self._lateness_value(node, fields[i], d, sql)
        return tuple(sorted(out.items()))

    def _lateness_value(self, node, f, d, sql: str):
        kind = f.type.kind
        if kind not in ("timestamp", "date") and not f.type.numeric:
            raise _error_at_offset(d.column_at, f"a watermark needs a TIMESTAMP, DATE or numeric column; {f.name} "
                                                f"is {f.type}", sql)
        if node is None:
            return 0 if f.type.numeric else datetime.timedelta(0)
        # the whole LATENESS expression starts where it was written (its INTERVAL keyword has no
        # position of its own); a WATERMARK's lateness is the part after the minus
        start = d.expr_start if d.form == "lateness" or position(node, sql)[0] is None else None

        def error(message):
            return error_at(node, message, sql) if start is None else _error_at_offset(start, message, sql)
        try:
            rows = self._query(exp.select(node.copy()), sql).rows
        except DataError as e:
            raise error(f"the lateness is not a constant value: {e}") from None
        value = rows[0][0] if rows else None
        if kind in ("timestamp", "date"):
            ok = isinstance(value, datetime.timedelta) and not getattr(value, "months", 0)
            if ok and kind == "date" and (value.seconds or value.microseconds):
                ok = False
            if not ok:
                what = "whole days" if kind == "date" else "a constant INTERVAL without months or years"
                example = "INTERVAL '1' DAY" if kind == "date" else "INTERVAL '5' SECONDS"
                raise error(f"the lateness of {kind.upper()} column {f.name} must be {what} (e.g. {example})")
        elif not isinstance(value, (int, float, decimal.Decimal)) or isinstance(value, bool):
            raise error(f"the lateness of numeric column {f.name} must be a constant number")
        if value < (datetime.timedelta(0) if isinstance(value, datetime.timedelta) else 0):
            raise error("a lateness cannot be negative")
        if kind == "float":
            return float(value)  # (the column's values are floats: subtract a float)
        if kind == "int" and isinstance(value, decimal.Decimal) and value == value.to_integral_value():
            return int(value)
        return value

    def _properties(self, ast, sql, known: tuple, texts: tuple = ()) -> dict:
        """``WITH ('name' = 'value', …)`` of a CREATE: the ``known`` names as booleans, the ``texts``
        names as (text, the property's node)."""
        out = {}
        known = tuple(known) + tuple(texts)
        props = ast.args.get("properties")
        for p in (props.expressions if props is not None else ()):
            if type(p) is not exp.Property:  # (the other kinds are keywords: TEMP, MATERIALIZED, …)
                continue
            name = p.this.name.lower() if p.this is not None else ""
            if name not in known:
                raise error_at(p, f"unknown property {name!r} (deltasql knows: {', '.join(known)})", sql)
            value = p.args.get("value")
            if name in texts:
                out[name] = (value.name if value is not None else "", p)
                continue
            text = (str(value.this).lower() if isinstance(value, exp.Boolean) else
                    value.name.lower() if value is not None else "")
            if text not in ("true", "false"):
                raise error_at(p, f"property {name!r} takes 'true' or 'false'", sql)
            out[name] = text == "true"
        return out

    def _create_table_as(self, ast, name, sql, replace: bool = False):
        bound, _ = self._bind_query(ast.expression, sql)
        fields = tuple(P.Field(n, f.type if f.type.kind != "null" else from_sqlglot(exp.DataType.build("INT"),
                                                                                    self.dialect), True)
                       for n, f in zip(unique_names(bound.names), bound.plan.fields))
        if self._restoring:  # its rows reached the journal with the step after it
            if replace and name in self._tables:
                self._drop_table(name, sql, ast.this)
            self._add_table(Relation(name, fields, computed_types=True))
            return
        rows = self._evaluate(optimize(bound.plan))  # (before a replaced table goes: the query may read it)
        if replace and name in self._tables:
            self._drop_table(name, sql, ast.this)
        t = self._add_table(Relation(name, fields, computed_types=True))
        t.queue_insert([self._row(t, r) for r, w in rows.items() for _ in range(w)])

    def _create_index(self, ast, sql):
        index = ast.this
        table = index.args.get("table")
        tname = table.name if table is not None else None
        t = self._tables.get(tname)
        if t is None:
            raise error_at(table if table is not None else ast, f"unknown table {tname!r}", sql)
        names = [f.name for f in t.rel.fields]
        params = index.args.get("params")
        cols = []
        for c in (params.args.get("columns") if params is not None else []) or []:
            cname = c.this.name if isinstance(c, exp.Ordered) else c.name
            if cname not in names:
                raise error_at(c, f"unknown column {cname!r} in index", sql)
            cols.append(cname)
        # indexes are hints: every view already keeps the arrangements it needs
        t.rel.indexes[index.name] = cols

    def _create_view(self, ast, sql):
        target = ast.this
        table = target.this if isinstance(target, exp.Schema) else target
        name = table.name
        existing = self.catalog.relation(name)
        if existing is not None:
            if ast.args.get("exists"):
                return None
            if not (ast.args.get("replace") and existing.is_view):
                raise error_at(table, f"{name!r} already exists", sql)
        columns = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else []
        # sharded, every worker runs this statement as it was given (binding changes the tree)
        self._view_source = (ast.copy(), sql) if self._shards is not None else None
        query = ast.expression
        bound, qualified = self._bind_query(query, sql)
        names = list(bound.names)
        if columns:
            if len(columns) != len(names):
                raise error_at(target, f"view {name} names {len(columns)} columns but its query has {len(names)}",
                               sql)
            names = columns
        names = unique_names(names)
        plan = optimize(bound.plan)
        fields = tuple(P.Field(n, f.type, f.nullable) for n, f in zip(names, plan.fields))
        depends = frozenset(p.table for p in P.walk(plan) if isinstance(p, P.Scan))
        if existing is not None:
            if name in depends:
                raise error_at(table, f"view {name!r} cannot read itself", sql)
            self._check_no_dependents(name, sql, ast, "replace")
            self._check_whole(name)  # its old rows must be retracted: a stream view may no longer have them
        materialized = any(isinstance(p, exp.MaterializedProperty)
                           for p in (ast.args["properties"].expressions if ast.args.get("properties") else ()))
        emit = self._properties(ast, sql, (), ("emit_final",)).get("emit_final")
        rel = Relation(name, fields, is_view=True, query=query, depends_on=depends, materialized=materialized)
        if emit is not None:
            rel.emit_final = self._emit_column(emit, names, plan, sql)
        ordered = optimize(bound.ordered_plan) if bound.ordered_plan is not None else None
        # the new view is built and backfilled beside the old one, which stays if that fails
        view = self._build_view(rel, plan, bound.order, ordered)
        if existing is not None:
            old = self._views.pop(name)
            self.catalog.remove(name)
            self._note_changes(name, old.output.contents, -1)  # the old rows are retracted ...
        self.catalog.add(rel)
        self._views[name] = view
        # ... and the new view's first rows reported (a stream view keeps none: what its backfill emitted)
        self._note_changes(name, view.output.contents if view.output.keep else view.output.delta)
        if existing is not None:
            self._feeds.replaced(name, old.output.contents, view.output.contents)
            self._collect_garbage()

    def _build_view(self, rel: Relation, plan, order, ordered_plan=None) -> View:
        """The view's operators, added to the circuit and backfilled from what they read; on an error
        nothing of them stays."""
        cg = Codegen(self.dialect)
        lines = Waterlines(self._table_bounds, lambda name: self._views[name].bounds, self._state_bounds)
        streaming = self._streaming(plan)
        keep = rel.materialized or not streaming
        low = Lowering(self.circuit, cg, self._source, self._shared, label=f"view {rel.name}", waterlines=lines,
                       watermarks=lambda name: self._tables[name].watermark, clock=lambda: self._clock,
                       primary_key=self._primary_key)
        try:
            top = low.lower(plan)
            if rel.emit_final is not None:
                c = rel.emit_final
                b = lines.of(plan)[c]
                top = low.add(EmitFinal(top, c, low.bound_function(b), f"{rel.fields[c].name} < {bound_text(b)}"),
                              "emit final")
            out = low.add(Output(top, rel.name, keep=keep))
            ordered = low.add(Output(low.lower(ordered_plan), f"{rel.name} (ordered)", keep=keep)) \
                if ordered_plan is not None else None
            if self._restoring != "schema":  # (when rebuilding before a checkpoint, state comes from it)
                seeds = {}
                for op in low.created:
                    for i in op.inputs:
                        if i not in low.created and id(i) not in seeds:
                            seeds[id(i)] = _integral(i, self)
                self._backfill(low.created, seeds)
            elif self._shards is not None:  # the workers build it too, its state to come from the checkpoint
                self._shards.replicate(("create_view",) + self._view_source + ("schema",), self.circuit)
        except BaseException as e:
            # nothing of the failed view stays: its operators, their journal and shared entries
            self.circuit.journal.commit()
            self.circuit.remove(low.created)
            for k in [k for k, op in self._shared.items() if op in low.created]:
                del self._shared[k]
            if isinstance(e, (IterationLimitError, RowLimitError, DataError, ScalarSubqueryError, OutOfRangeError,
                              KeyConflictError, FrameOffsetError, LimitError)):
                raise data_error(e, f"view {rel.name}") from None
            raise
        self.circuit.journal.commit()
        return View(rel, out, plan, low.created, order, cg, ordered, bounds=portable(lines.of(plan)),
                    streaming=streaming)

    def _emit_column(self, emit, names, plan, sql) -> int:
        """The column of ``WITH ('emit_final' = 'col' | 'n')``: one with a waterline."""
        text, node = emit
        folded = normalize_name(text, self.dialect.name)
        if text.isdigit() and int(text) < len(names):
            c = int(text)
        elif folded in names:
            c = names.index(folded)
        else:
            raise error_at(node, f"emit_final names no column of the view: {text!r}", sql)
        lines = Waterlines(self._table_bounds, lambda name: self._views[name].bounds, self._state_bounds)
        if lines.of(plan)[c] is None:
            raise error_at(node, f"emit_final: column {names[c]!r} has no waterline (no watermark bounds it, so "
                                 f"no row of the view is ever final)", sql)
        return c

    def _table_bounds(self, name: str):
        """The bounds of a table's columns: its watermarks (compiler/waterlines.py)."""
        t = self._tables[name]
        out = [None] * len(t.rel.fields)
        if t.watermark is not None:
            for k, c in enumerate(t.watermark.columns):
                f = t.rel.fields[c]
                out[c] = (leaf(name, k, f.name, f.type),)
        return tuple(out)

    @property
    def _state_bounds(self) -> bool:
        """Bounds read from what a join keeps (compiler/waterlines.py, KEPT) hold on one pipeline; a
        sharded one's workers each keep a shard (and a worker builds its circuit as the coordinator)."""
        return self._shards is None and getattr(self, "_worker", None) is None

    def _streaming(self, plan) -> bool:
        """Whether a plan reads a table with watermarks (directly or through views): a stream."""
        for node in P.walk(plan):
            if isinstance(node, P.Scan):
                t = self._tables.get(node.table)
                v = self._views.get(node.table)
                if (t is not None and t.watermark is not None) or (v is not None and v.streaming):
                    return True
        return False

    def _backfill(self, created, seeds) -> None:
        """Run a new view's operators once on the integrals of what they read (``seeds``); sharded,
        every worker does it on its shard (engine/shards)."""
        if self._shards is not None:
            self._shards.backfill(self, created, self._view_source)
        else:
            self.circuit.run_ops(created, seeds)

    def _primary_key(self, name):
        t = self._tables.get(name)
        return t.rel.primary_key if t is not None else None

    def _source(self, name):
        t = self._tables.get(name)
        if t is not None:
            return t.output
        v = self._views.get(name)
        return v.output if v is not None else None

    def _drop(self, ast, sql):
        kind = (ast.args.get("kind") or "").upper()
        targets = ast.args.get("tables") or ([ast.this] if ast.this is not None else [])
        for table in targets:
            name = table.name
            if kind == "INDEX":
                for t in self._tables.values():
                    if name in t.rel.indexes:
                        del t.rel.indexes[name]
                        break
                else:
                    if not ast.args.get("exists"):
                        raise error_at(table, f"unknown index {name!r}", sql)
                continue
            rel = self.catalog.relation(name)
            if rel is None or (kind == "VIEW") != rel.is_view:
                if ast.args.get("exists"):
                    continue
                what = "view" if kind == "VIEW" else "table"
                raise error_at(table, f"unknown {what} {name!r}", sql)
            if ast.args.get("cascade"):
                raise error_at(ast, "DROP … CASCADE is not supported", sql)
            if kind == "VIEW":
                self._drop_view(name, sql, table)
                self._feeds.dropped(name)
            elif kind == "TABLE":
                self._drop_table(name, sql, table)
            else:
                raise error_at(ast, f"DROP {kind} is not supported", sql)

    def _check_no_dependents(self, name, sql, node, verb: str = "drop"):
        deps = self.catalog.dependents(name)
        if deps:
            raise error_at(node, f"cannot {verb} {name!r}: view{'s' if len(deps) > 1 else ''} "
                                 f"{', '.join(deps)} depend{'' if len(deps) > 1 else 's'} on it", sql)

    def _drop_view(self, name, sql, node):
        self._check_no_dependents(name, sql, node)
        del self._views[name]
        self._unreported.pop(name, None)
        self.catalog.remove(name)
        self._collect_garbage()
        if self._shards is not None:
            self._shards.replicate(("drop_view", name), self.circuit)

    def _drop_table(self, name, sql, node):
        self._check_no_dependents(name, sql, node)
        t = self._tables.pop(name)
        self.catalog.remove(name)
        self._collect_garbage(extra=[t.input])
        if self._shards is not None:
            self._shards.replicate(("drop_table", name), self.circuit)

    def _collect_garbage(self, extra=()):
        """Remove every operator no remaining view reads (views share arrangements)."""
        live = set()
        stack = [v.output for v in self._views.values()] + [t.output for t in self._tables.values()]
        stack.append(self._clock)
        stack += [v.ordered for v in self._views.values() if v.ordered is not None]
        while stack:
            op = stack.pop()
            if id(op) in live:
                continue
            live.add(id(op))
            stack.extend(op.inputs)
        dead = [op for op in self.circuit.ops if id(op) not in live]
        self.circuit.remove(dead)
        for k in [k for k, op in self._shared.items() if id(op) not in live]:
            del self._shared[k]


def _rowid_alias(schema, pk, dialect: str, sql: str):
    """In SQLite a column declared exactly INTEGER (not INT: sqlglot reads both alike, so the text is
    read) that is the PRIMARY KEY is the rowid: a row inserted without it (or with NULL) gets one more
    than the largest key."""
    if dialect != "sqlite" or len(pk) != 1:
        return None
    column = [c for c in schema.expressions if isinstance(c, exp.ColumnDef)][pk[0]]
    line, col = position(column, sql)
    if line is None:
        return None
    at = sum(len(x) + 1 for x in sql.split("\n")[:line - 1]) + col - 1
    declared = re.match(r'["`\[]?' + re.escape(column.name) + r'["`\]]?\s+INTEGER\b(?!\s*\()', sql[at:], re.I)
    return pk[0] if declared else None


def _binary_collation(k, dialect: str) -> bool:
    """COLLATE BINARY (and C/POSIX outside SQLite): the plain comparison of strings."""
    name = k.this.name.lower() if k.this is not None else ""
    return name == "binary" or (name in ("c", "posix") and dialect != "sqlite")


def _error_at_offset(offset: int, message: str, sql: str) -> CompileError:
    return CompileError(message, *offset_to_position(sql, offset), sql)


def _plain(v):
    """A lateness as Python subtracts it from a value of its column: an INTERVAL as a timedelta."""
    return datetime.timedelta(v.days, v.seconds, v.microseconds) if isinstance(v, datetime.timedelta) else v


def _integral(op, pipeline):
    """The integrated output of an existing operator (to backfill operators that start reading it)."""
    if isinstance(op, (Input, Watermark)):
        for t in pipeline._tables.values():
            if t.input is op or t.output is op:
                pipeline._check_whole(t.rel.name)
                return t.contents.copy()
    if isinstance(op, Output):
        if not op.keep:
            pipeline._check_whole(op.name)
        return op.integral()
    if isinstance(op, Arrange):
        return op.integral()
    if isinstance(op, Clock):
        return {}  # (a temporal filter reads the clock's value, not its signal)
    raise AssertionError(f"no integral for {op!r}")


def _clock_default(c, t, index: int, sql: str) -> int:
    """A column's ``DEFAULT NOW()`` (``CURRENT_TIMESTAMP``): its index.  The pipeline's clock, not the
    wall clock, is the default (an arrival time, for processing-time windows); any other DEFAULT is
    refused."""
    value = c.args["kind"].this
    is_now = isinstance(value, exp.CurrentTimestamp) or (
        isinstance(value, exp.Anonymous) and value.name.lower() == "now" and not value.expressions)
    if not is_now:
        raise error_at(c, f"column constraint {c.sql()} is not supported (a DEFAULT may only be NOW() or "
                          "CURRENT_TIMESTAMP: the pipeline's clock when the row is inserted)", sql)
    if t.kind != "timestamp":
        raise error_at(c, f"DEFAULT NOW() needs a TIMESTAMP column, not {t}", sql)
    return index
