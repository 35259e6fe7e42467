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
from dataclasses import dataclass, field

from sqlglot import exp

from ..runtime import Circuit, StepError, describe_circuit
from ..runtime.aggregates import Desc, ScalarSubqueryError
from ..runtime.circuit import IterationLimitError
from ..runtime.operators import Arrange, Input, Output

from . import plan as P
from .binder import QueryBinder
from .catalog import Catalog, Relation
from .codegen import Codegen
from .dialect import get_dialect
from .errors import CompileError, DataError
from .frontend import (element_position, error_at, name_projections, normalize_forms, offset_to_position, parse,
                       qualify_query)
from .lower import Lowering
from .passes.pipeline import optimize
from .sugar import expand_shorthands
from .tables import Table
from .types import coerce_value, from_sqlglot, row_checker

logging.getLogger("sqlglot").setLevel(logging.ERROR)


@dataclass
class View:
    rel: Relation
    output: Output
    plan: object
    ops: list
    order: tuple = ()
    codegen: Codegen | None = None
    # an ORDER BY over expressions outside the select list: the rows with those trailing columns,
    # kept only to put rows() in order
    ordered: Output | None = None


@dataclass
class QueryResult:
    """The answer to an ad-hoc query: column names and rows."""

    columns: list
    rows: list


class ViewHandle:
    """Read access to one view."""

    def __init__(self, pipeline: "Pipeline", name: str):
        self._p = pipeline
        self.name = name

    @property
    def _view(self) -> View:
        v = self._p._views.get(self.name)
        if v is None:
            raise DataError(f"view {self.name!r} no longer exists")
        return v

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self._view.rel.fields]

    def rows(self) -> list[tuple]:
        """The current contents, duplicates repeated, in ORDER BY order if the view has one."""
        v = self._view
        source = v.ordered if v.ordered is not None else v.output
        out = []
        for row, w in source.contents.items():
            out.extend([row] * w)
        out = sort_rows(out, v.order)
        if v.ordered is not None:
            width = len(v.rel.fields)
            out = [r[:width] for r in out]
        return out

    def delta(self) -> list[tuple]:
        """The last step's changes as (row, weight) pairs."""
        return sorted(self._view.output.delta.items(), key=lambda rw: (rw[1] > 0, _row_key(rw[0])))

    def __len__(self) -> int:
        return sum(self._view.output.contents.values())

    def __repr__(self) -> str:
        return f"<view {self.name}: {len(self)} rows>"


class Pipeline:
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

    # -- statements -----------------------------------------------------------------------------
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

    # -- DDL ------------------------------------------------------------------------------------
    def _create_table(self, ast, sql):
        schema = ast.this
        table = schema.this if isinstance(schema, exp.Schema) else schema
        name = table.name
        if self.catalog.relation(name) is not None:
            if ast.args.get("exists"):
                return None
            raise error_at(table, f"{name!r} already exists", sql)
        if ast.expression is not None:
            return self._create_table_as(ast, name, sql)
        fields, pk, unique = [], [], []
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
                    k = c.args.get("kind")
                    if isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null"):
                        nullable = False
                    elif isinstance(k, exp.PrimaryKeyColumnConstraint):
                        pk.append(len(fields))
                        nullable = False
                    elif isinstance(k, exp.UniqueColumnConstraint):
                        unique.append((len(fields),))
                    elif isinstance(k, (exp.DefaultColumnConstraint, exp.CheckColumnConstraint, exp.Reference)):
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
        rel = Relation(name, tuple(fields), primary_key=tuple(pk), unique=tuple(unique))
        self._add_table(rel)

    def _add_table(self, rel: Relation) -> Table:
        inp = self.circuit.add(Input(rel.name))
        inp.label = f"table {rel.name}"
        t = Table(rel, inp, row_checker(rel.fields))
        self.catalog.add(rel)
        self._tables[rel.name] = t
        return t

    def _create_table_as(self, ast, name, sql):
        bound, _ = self._bind_query(ast.expression, sql)
        fields = tuple(P.Field(n, f.type if f.type.kind != "null" else from_sqlglot(exp.DataType.build("INT"),
                                                                                    self.dialect), True)
                       for n, f in zip(_unique_names(bound.names), bound.plan.fields))
        rows = self._evaluate(optimize(bound.plan))
        t = self._add_table(Relation(name, fields))
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
        query = ast.expression
        bound, qualified = self._bind_query(query, sql)
        names = list(bound.names)
        if columns:
            if len(columns) != len(names):
                raise error_at(target, f"view {name} names {len(columns)} columns but its query has {len(names)}",
                               sql)
            names = columns
        names = _unique_names(names)
        plan = optimize(bound.plan)
        fields = tuple(P.Field(n, f.type, f.nullable) for n, f in zip(names, plan.fields))
        depends = frozenset(p.table for p in P.walk(plan) if isinstance(p, P.Scan))
        if existing is not None:
            self._drop_view(name, sql, ast)
        rel = Relation(name, fields, is_view=True, query=query, depends_on=depends)
        ordered = optimize(bound.ordered_plan) if bound.ordered_plan is not None else None
        self._install_view(rel, plan, bound.order, ordered)

    def _install_view(self, rel: Relation, plan, order, ordered_plan=None):
        cg = Codegen(self.dialect)
        low = Lowering(self.circuit, cg, self._source, self._shared, label=f"view {rel.name}")
        try:
            top = low.lower(plan)
            out = low.add(Output(top, rel.name))
            ordered = low.add(Output(low.lower(ordered_plan), f"{rel.name} (ordered)")) \
                if ordered_plan is not None else None
            seeds = {}
            for op in low.created:
                for i in op.inputs:
                    if i not in low.created and id(i) not in seeds:
                        seeds[id(i)] = _integral(i, self)
            self.circuit.run_ops(low.created, seeds)
        except BaseException as e:
            # nothing of the failed view stays: its operators, their journal and shared entries
            self.circuit.journal.commit()
            self.circuit.remove(low.created)
            for k in [k for k, op in self._shared.items() if op in low.created]:
                del self._shared[k]
            if isinstance(e, (IterationLimitError, DataError, ScalarSubqueryError)):
                raise _data_error(e, f"view {rel.name}") from None
            raise
        self.circuit.journal.commit()
        self.catalog.add(rel)
        self._views[rel.name] = View(rel, out, plan, low.created, order, cg, ordered)

    def _source(self, name):
        t = self._tables.get(name)
        if t is not None:
            return t.input
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
            elif kind == "TABLE":
                self._drop_table(name, sql, table)
            else:
                raise error_at(ast, f"DROP {kind} is not supported", sql)

    def _check_no_dependents(self, name, sql, node):
        deps = self.catalog.dependents(name)
        if deps:
            raise error_at(node, f"cannot drop {name!r}: view{'s' if len(deps) > 1 else ''} "
                                 f"{', '.join(deps)} depend{'' if len(deps) > 1 else 's'} on it", sql)

    def _drop_view(self, name, sql, node):
        self._check_no_dependents(name, sql, node)
        del self._views[name]
        self.catalog.remove(name)
        self._collect_garbage()

    def _drop_table(self, name, sql, node):
        self._check_no_dependents(name, sql, node)
        t = self._tables.pop(name)
        self.catalog.remove(name)
        self._collect_garbage(extra=[t.input])

    def _collect_garbage(self, extra=()):
        """Remove every operator no remaining view reads (views share arrangements)."""
        live = set()
        stack = [v.output for v in self._views.values()] + [t.input for t in self._tables.values()]
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

    # -- queries --------------------------------------------------------------------------------
    def _bind_query(self, query, sql):
        normalize_forms(query)
        name_projections(query, self.dialect.name)
        # only the relations the query names: normalising the whole catalog costs O(catalog) per view
        names = {t.name for t in query.find_all(exp.Table)}
        qualified = qualify_query(query, self.catalog.schema(names), self.dialect.name, sql)
        expand_shorthands(qualified, sql)
        qb = QueryBinder(self.catalog, self.dialect, sql, self.max_iterations)
        bound = qb.query(qualified)
        return bound, qualified

    def query(self, sql: str) -> "QueryResult":
        """Evaluate one query once over the current contents (queued changes included): its column
        names and rows (in ORDER BY order if it has one)."""
        statements = parse(sql, self.dialect.name)
        if len(statements) != 1:
            raise CompileError(f"query() takes one statement, not {len(statements)}")
        ast = statements[0].ast
        if not isinstance(ast, (exp.Select, exp.Union, exp.Except, exp.Intersect, exp.Subquery, exp.Values)):
            raise error_at(ast, "query() takes a SELECT (use execute() for other statements)", sql)
        return self._query(ast, sql)

    def _query(self, ast, sql) -> "QueryResult":
        bound, _ = self._bind_query(ast, sql)
        plan = bound.ordered_plan if bound.ordered_plan is not None else bound.plan
        rows = self._evaluate(optimize(plan))
        out = []
        for row, w in rows.items():
            out.extend([row] * w)
        out = sort_rows(out, bound.order)
        if bound.ordered_plan is not None:
            out = [r[:len(bound.names)] for r in out]
        return QueryResult(_unique_names(bound.names), out)

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

    def _evaluate(self, plan) -> dict:
        """Run a plan once, as a fresh circuit fed the current contents of the tables it reads."""
        circuit = Circuit()
        inputs = {}

        def source(name):
            if name not in inputs:
                inp = circuit.add(Input(name))
                t = self._tables.get(name)
                inp.pending = t.current() if t is not None else dict(self._views[name].output.contents)
                inputs[name] = inp
            return inputs[name]

        low = Lowering(circuit, Codegen(self.dialect), source, {}, label="query")
        out = low.add(Output(low.lower(plan), "query"))
        try:
            circuit.step()
        except StepError as e:
            raise _data_error(e.cause, "query") from e
        return out.contents

    # -- changes --------------------------------------------------------------------------------
    def insert(self, table: str, rows) -> None:
        """Queue rows (tuples in column order, or dicts by column name) for insertion."""
        t = self._table(table)
        check = t.check  # the fast path inline: rows that already have the right types
        t.queue_insert([check(r) or self._row(t, r) for r in rows])

    def delete(self, table: str, rows) -> None:
        """Queue rows for deletion; each must be present (counting queued changes)."""
        t = self._table(table)
        t.queue_delete([self._row(t, r) for r in rows])

    def _table(self, name: str) -> Table:
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
            extra = set(row) - set(names)
            if extra:
                raise DataError(f"{t.rel.name}: unknown column(s) {', '.join(sorted(map(str, extra)))}")
            row = tuple(row.get(n) for n in names)
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

    def _insert_statement(self, ast, sql):
        target = ast.this
        table = target.this if isinstance(target, exp.Schema) else target
        t = self._tables.get(table.name)
        if t is None:
            raise error_at(table, f"unknown table {table.name!r}" if table.name not in self._views
                           else f"cannot insert into view {table.name!r}", sql)
        names = [f.name for f in t.rel.fields]
        cols = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else names
        for c in cols:
            if c not in names:
                raise error_at(target, f"unknown column {c!r} of {t.rel.name}", sql)
        alternative = (ast.args.get("alternative") or "").upper()
        if ast.args.get("conflict") is not None or alternative not in ("", "REPLACE"):
            raise error_at(ast, "INSERT … ON CONFLICT / OR IGNORE is not supported", sql)
        source = ast.expression
        rows = self._literal_rows(source, len(cols))
        if rows is None:
            bound, _ = self._bind_query(source, sql)
            if len(bound.names) != len(cols):
                raise error_at(source, f"INSERT has {len(cols)} target columns but the query gives "
                                       f"{len(bound.names)}", sql)
            rows = []
            for row, w in self._evaluate(optimize(bound.plan)).items():
                rows.extend([row] * w)
        elif any(len(r) != len(cols) for r in rows):
            raise error_at(source, f"INSERT has {len(cols)} target columns but a VALUES row has a different "
                                   f"number", sql)
        tuples = source.expressions if isinstance(source, exp.Values) else []
        full = []
        for i, r in enumerate(rows):
            by_name = dict(zip(cols, r))
            try:
                full.append(self._row(t, tuple(by_name.get(n) for n in names)))
            except DataError as e:
                node = tuples[i] if i < len(tuples) else source
                bad = self._bad_value(t, by_name)
                if bad in cols and isinstance(node, exp.Tuple) and cols.index(bad) < len(node.expressions):
                    line, col = element_position(node.expressions, cols.index(bad), sql)  # the value itself
                else:
                    where = error_at(node, "", sql)
                    line, col = where.line, where.col
                raise DataError(f"{e} (line {line}, column {col})") from None
        t.queue_insert(full, replace=alternative == "REPLACE")

    @staticmethod
    def _bad_value(t: Table, by_name: dict):
        """The first column whose value does not fit (to point an error at it), or None."""
        for f in t.rel.fields:
            v = by_name.get(f.name)
            try:
                if coerce_value(v, f.type, f.name) is None and not f.nullable:
                    return f.name
            except DataError:
                return f.name
        return None

    def _literal_rows(self, source, width):
        """VALUES rows that are plain literals, without building a circuit (the common case)."""
        if not isinstance(source, exp.Values):
            return None
        out = []
        for tup in source.expressions:
            items = tup.expressions if isinstance(tup, exp.Tuple) else [tup]
            row = []
            for x in items:
                v = _literal_value(x)
                if v is _NOT_LITERAL:
                    return None
                row.append(v)
            out.append(tuple(row))
        return out

    def _delete_statement(self, ast, sql):
        table = ast.this
        t = self._tables.get(table.name)
        if t is None:
            raise error_at(table, f"unknown table {table.name!r}", sql)
        if ast.args.get("using"):
            raise error_at(ast, "DELETE … USING is not supported", sql)
        where = ast.args.get("where")
        query = exp.select("*").from_(table.copy())
        if where is not None:
            query = query.where(where.this.copy())
        bound, _ = self._bind_query(query, sql)
        doomed = self._evaluate(optimize(bound.plan))
        t.queue_delete([r for r, w in doomed.items() for _ in range(w)])

    def _update_statement(self, ast, sql):
        table = ast.this
        t = self._tables.get(table.name)
        if t is None:
            raise error_at(table, f"unknown table {table.name!r}", sql)
        names = [f.name for f in t.rel.fields]
        sets = {}
        for eq in ast.expressions:
            col = eq.this.name
            if col not in names:
                raise error_at(eq.this, f"unknown column {col!r} of {t.rel.name}", sql)
            sets[col] = eq.expression
        if ast.args.get("from_") is not None:
            raise error_at(ast, "UPDATE … FROM is not supported", sql)
        alias = table.alias_or_name
        projections = [exp.column(n, table=alias) for n in names]
        projections += [sets[n].copy() if n in sets else exp.column(n, table=alias) for n in names]
        query = exp.select(*projections).from_(table.copy())
        if ast.args.get("where") is not None:
            query = query.where(ast.args["where"].this.copy())
        bound, _ = self._bind_query(query, sql)
        changed = self._evaluate(optimize(bound.plan))
        n = len(names)
        new_rows = []
        for row, w in changed.items():
            new = self._row(t, row[n:])
            new_rows.extend([(row[:n], new)] * w)
        t.queue_delete([old for old, _new in new_rows])
        try:
            t.queue_insert([new for _old, new in new_rows])
        except DataError:
            t.queue_insert([old for old, _new in new_rows])  # put the old rows back: nothing changed
            raise

    # -- stepping -------------------------------------------------------------------------------
    def step(self) -> dict:
        """Apply every queued change: one atomic tick.  Returns {view: [(row, weight), ...]}."""
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
            view = _view_of(e.op)
            raise _data_error(e.cause, view) from e
        for t in fed:
            t.commit()
        self.last_changes = {name: list(v.output.delta.items()) for name, v in self._views.items()
                             if v.output.delta}
        return self.last_changes

    # -- reading --------------------------------------------------------------------------------
    def view(self, name: str) -> ViewHandle:
        if name not in self._views:
            raise DataError(f"unknown view {name!r}")
        return ViewHandle(self, name)

    def table_rows(self, name: str) -> list[tuple]:
        """A table's committed rows (queued changes not included)."""
        t = self._table(name)
        out = []
        for r, w in t.contents.items():
            out.extend([r] * w)
        return sort_rows(out, ())

    @property
    def views(self) -> list[str]:
        return list(self._views)

    @property
    def tables(self) -> list[str]:
        return list(self._tables)

    def explain(self, name: str) -> str:
        """The view's optimized plan and its operators, as text."""
        return (f"view {name}({', '.join(self.columns(name))})\n-- plan\n{self.plan_text(name)}\n"
                f"-- circuit\n{self.circuit_text(name)}")

    def _view_named(self, name: str) -> View:
        v = self._views.get(name)
        if v is None:
            raise DataError(f"unknown view {name!r}")
        return v

    def columns(self, name: str) -> list[str]:
        """Column names of a table or view."""
        rel = self.catalog.relation(name)
        if rel is None:
            raise DataError(f"unknown table or view {name!r}")
        return [f.name for f in rel.fields]

    def plan_text(self, name: str) -> str:
        """The optimized logical plan of a view, one node per line."""
        return P.explain(self._view_named(name).plan)

    def circuit_text(self, name: str) -> str:
        """The runtime operators a view added, in evaluation order, with their inputs."""
        return _describe_ops(self._view_named(name).ops)

    def circuit_graph(self, name: str):
        """(nodes, edges) of a view's circuit: nodes are (id, label), edges (from id, to id); operators
        the view reads but did not create (tables, other views, shared arrangements) are included."""
        ops = self._view_named(name).ops
        ids = {}
        nodes, edges = [], []

        def node_id(op):
            if id(op) not in ids:
                ids[id(op)] = f"n{len(ids)}"
                nodes.append((ids[id(op)], op.describe()))
            return ids[id(op)]

        for op in ops:
            me = node_id(op)
            for i in op.inputs:
                edges.append((node_id(i), me))
            body = getattr(op, "body", None)
            if body is not None:
                for inner in body.ops:
                    node_id(inner)
                    for i in inner.inputs:
                        edges.append((node_id(i), node_id(inner)))
                for fb in getattr(op, "feedbacks", []):
                    if fb.source is not None:
                        edges.append((node_id(fb.source), node_id(fb)))
        return nodes, edges

    def generated_source(self, name: str) -> str:
        """The Python source generated for a view's expressions and kernels."""
        return "\n\n".join(self._view_named(name).codegen.sources)


_NOT_LITERAL = object()


def _literal_value(x):
    neg = False
    while isinstance(x, (exp.Neg, exp.Paren)):
        if isinstance(x, exp.Neg):
            neg = not neg
        x = x.this
    if isinstance(x, exp.Null):
        return None if not neg else _NOT_LITERAL
    if isinstance(x, exp.Boolean) and not neg:
        return bool(x.this)
    if isinstance(x, exp.Literal):
        if x.is_string:
            return x.this if not neg else _NOT_LITERAL
        text = x.this
        try:
            v = int(text)
        except ValueError:
            import decimal
            try:
                v = decimal.Decimal(text)
            except decimal.InvalidOperation:
                return _NOT_LITERAL
            if "e" in text.lower():
                v = float(text)
        return -v if neg else v
    return _NOT_LITERAL


def _integral(op, pipeline):
    """The integrated output of an existing operator (to backfill operators that start reading it)."""
    if isinstance(op, Input):
        for t in pipeline._tables.values():
            if t.input is op:
                return dict(t.contents)
    if isinstance(op, (Output, Arrange)):
        return op.integral()
    raise AssertionError(f"no integral for {op!r}")


def _view_of(op) -> str:
    label = getattr(op, "label", "") or ""
    return label.split(" in view ", 1)[1] if " in view " in label else label or "a view"


def _data_error(cause: BaseException, where: str) -> DataError:
    if isinstance(cause, IterationLimitError):
        return DataError(f"{where}: {cause}; nothing was changed")
    msg = str(cause) or type(cause).__name__
    return DataError(f"{where}: {msg}; nothing was changed")


def _unique_names(names):
    seen = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            candidate = f"{n}_{seen[n]}"
            while candidate in seen:
                seen[n] += 1
                candidate = f"{n}_{seen[n]}"
            seen[candidate] = 0
            out.append(candidate)
        else:
            seen[n] = 0
            out.append(n)
    return out


def _row_key(row):
    return tuple((v is None, str(type(v)), _nan_last(v) if v is not None else (False, 0)) for v in row)


def _nan_last(v):
    """A value as a sort key where NaN comes after every other number (as DuckDB orders it)."""
    return (True, 0.0) if v != v else (False, v)


def sort_rows(rows, order) -> list:
    """Rows sorted by ORDER BY keys (over output columns) if any, else in a deterministic order."""
    if not order:
        try:
            return sorted(rows, key=_row_key)
        except TypeError:
            return rows

    def key(row):
        out = []
        for k in order:
            v = row[k.expr.index]
            flag = (v is not None) if k.nulls_first else (v is None)
            out.append((flag, (Desc(_nan_last(v)) if k.descending else _nan_last(v)) if v is not None else 0))
        return out

    return sorted(rows, key=key)


def _describe_ops(ops) -> str:
    c = Circuit()
    c.ops = list(ops)
    return describe_circuit(c)
