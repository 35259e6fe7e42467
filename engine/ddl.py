"""DDL: CREATE TABLE / VIEW / INDEX and DROP.  A view is bound, optimized and lowered into the one
shared circuit, then backfilled from the integrated contents of what it reads (its first output is
the view over the current tables); a DROP removes every operator no remaining view reads.

The delta stream of a view is complete from its creation on: its first rows (a view over existing
data, over constants, an aggregate without GROUP BY over nothing) are reported by the next step(),
and CREATE OR REPLACE reports the old rows retracted and the new ones added; a failed CREATE OR
REPLACE leaves the old view as it was."""

from __future__ import annotations

import re

from sqlglot import exp

from ..compiler import plan as P
from ..compiler.catalog import Relation
from ..compiler.codegen import Codegen
from ..compiler.errors import DataError
from ..compiler.frontend import error_at, position
from ..compiler.lower import Lowering
from ..compiler.passes.pipeline import optimize
from ..compiler.types import from_sqlglot, row_checker
from ..runtime.aggregates import ScalarSubqueryError
from ..runtime.circuit import IterationLimitError, RowLimitError
from ..runtime.statistics import OutOfRangeError
from ..runtime.operators import Arrange, Input, Output
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
        rel = Relation(name, tuple(fields), primary_key=tuple(pk), unique=tuple(unique),
                       rowid=_rowid_alias(schema, pk, self.dialect.name, sql))
        if replace and existing is not None:
            self._drop_table(name, sql, table)
        self._add_table(rel)

    def _add_table(self, rel: Relation) -> Table:
        inp = self.circuit.add(Input(rel.name))
        inp.label = f"table {rel.name}"
        t = Table(rel, inp, row_checker(rel.fields), self._log)
        self.catalog.add(rel)
        self._tables[rel.name] = t
        if self._shards is not None:
            self._shards.replicate(("add_table", rel), self.circuit)
        return t

    def _create_table_as(self, ast, name, sql, replace: bool = False):
        bound, _ = self._bind_query(ast.expression, sql)
        fields = tuple(P.Field(n, f.type if f.type.kind != "null" else from_sqlglot(exp.DataType.build("INT"),
                                                                                    self.dialect), True)
                       for n, f in zip(unique_names(bound.names), bound.plan.fields))
        if self._restoring:  # its rows reached the journal with the step after it
            if replace and name in self._tables:
                self._drop_table(name, sql, ast.this)
            self._add_table(Relation(name, fields))
            return
        rows = self._evaluate(optimize(bound.plan))  # (before a replaced table goes: the query may read it)
        if replace and name in self._tables:
            self._drop_table(name, sql, ast.this)
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
        rel = Relation(name, fields, is_view=True, query=query, depends_on=depends)
        ordered = optimize(bound.ordered_plan) if bound.ordered_plan is not None else None
        # the new view is built and backfilled beside the old one, which stays if that fails
        view = self._build_view(rel, plan, bound.order, ordered)
        if existing is not None:
            old = self._views.pop(name)
            self.catalog.remove(name)
            self._note_changes(name, old.output.contents, -1)  # the old rows are retracted ...
        self.catalog.add(rel)
        self._views[name] = view
        self._note_changes(name, view.output.contents)  # ... and the new view's first rows reported
        if existing is not None:
            self._feeds.replaced(name, old.output.contents, view.output.contents)
            self._collect_garbage()

    def _build_view(self, rel: Relation, plan, order, ordered_plan=None) -> View:
        """The view's operators, added to the circuit and backfilled from what they read; on an error
        nothing of them stays."""
        cg = Codegen(self.dialect)
        low = Lowering(self.circuit, cg, self._source, self._shared, label=f"view {rel.name}")
        try:
            top = low.lower(plan)
            out = low.add(Output(top, rel.name))
            ordered = low.add(Output(low.lower(ordered_plan), f"{rel.name} (ordered)")) \
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
            if isinstance(e, (IterationLimitError, RowLimitError, DataError, ScalarSubqueryError, OutOfRangeError)):
                raise data_error(e, f"view {rel.name}") from None
            raise
        self.circuit.journal.commit()
        return View(rel, out, plan, low.created, order, cg, ordered)

    def _backfill(self, created, seeds) -> None:
        """Run a new view's operators once on the integrals of what they read (``seeds``); sharded,
        every worker does it on its shard (engine/shards)."""
        if self._shards is not None:
            self._shards.backfill(self, created, self._view_source)
        else:
            self.circuit.run_ops(created, seeds)

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


def _integral(op, pipeline):
    """The integrated output of an existing operator (to backfill operators that start reading it)."""
    if isinstance(op, Input):
        for t in pipeline._tables.values():
            if t.input is op:
                return dict(t.contents)
    if isinstance(op, (Output, Arrange)):
        return op.integral()
    raise AssertionError(f"no integral for {op!r}")
